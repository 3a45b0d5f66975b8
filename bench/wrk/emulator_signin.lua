-- Complete sign-ins against the emulator alone, with wrk on keep-alive connections:
--   GET  /login/oauth/authorize (auto-approve) -> 302 to the callback with ?code=
--   POST /login/oauth/access_token (Accept: application/json) -> access_token
--   GET  /api/v3/user with that token -> 200: one complete sign-in.
-- Settings come from the environment: BENCH_CLIENT_ID, BENCH_CLIENT_SECRET,
-- BENCH_REDIRECT_URI, BENCH_REPORT (path of report.lua).
--
-- wrk keeps no per-connection state in Lua, so every response pushes the request that
-- follows it onto a FIFO queue of the thread, and every request takes the head of the
-- queue (or starts a new sign-in when it is empty). Each response is followed by exactly
-- one request, so no step is lost; a step may travel on another keep-alive connection
-- of the same thread, which HTTP allows (the three steps carry no cookie).

dofile(os.getenv("BENCH_REPORT") or "bench/wrk/report.lua")

local client_id = os.getenv("BENCH_CLIENT_ID")
local client_secret = os.getenv("BENCH_CLIENT_SECRET")
local redirect_uri = os.getenv("BENCH_REDIRECT_URI")

local function urlencode(s)
   return (string.gsub(s, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

-- per thread (each wrk thread has its own Lua state)
signins = 0
failures = 0
local queue, head, tail = {}, 1, 0
-- Like GitHub, the emulator keeps at most 10 tokens per user, app and scopes and revokes
-- the oldest beyond that; with 64 sign-ins of the one auto-approved user in flight, a
-- token could be revoked before its own GET /user. So flows rotate over the 31 non-empty
-- combinations of five independent scopes (each wrk thread from its own starting point):
-- about two flows in flight per combination.
local authorize_paths = {}
local next_path = 0

function init(args)
   local scopes = { "gist", "read:org", "notifications", "read:user", "repo" }
   next_path = (tid or 0) * 16
   for mask = 1, 31 do
      local chosen = {}
      for i = 1, 5 do
         if math.floor(mask / 2 ^ (i - 1)) % 2 == 1 then
            chosen[#chosen + 1] = scopes[i]
         end
      end
      authorize_paths[#authorize_paths + 1] = "/login/oauth/authorize?client_id="
         .. urlencode(client_id) .. "&redirect_uri=" .. urlencode(redirect_uri)
         .. "&scope=" .. urlencode(table.concat(chosen, " ")) .. "&state=bench"
   end
end

local function push(step)
   tail = tail + 1
   queue[tail] = step
end

local ua = "gistdesk-bench"

function request()
   local step
   if head <= tail then
      step = queue[head]
      queue[head] = nil
      head = head + 1
   else
      step = { kind = "authorize" }
   end
   if step.kind == "authorize" then
      next_path = next_path % #authorize_paths + 1
      return wrk.format("GET", authorize_paths[next_path], { ["User-Agent"] = ua })
   elseif step.kind == "token" then
      local body = "client_id=" .. urlencode(client_id)
         .. "&client_secret=" .. urlencode(client_secret)
         .. "&code=" .. urlencode(step.code)
         .. "&redirect_uri=" .. urlencode(redirect_uri)
      return wrk.format("POST", "/login/oauth/access_token", {
         ["User-Agent"] = ua,
         ["Accept"] = "application/json",
         ["Content-Type"] = "application/x-www-form-urlencoded",
      }, body)
   else
      return wrk.format("GET", "/api/v3/user", {
         ["User-Agent"] = ua,
         ["Accept"] = "application/vnd.github+json",
         ["Authorization"] = "Bearer " .. step.token,
      })
   end
end

local function header(headers, name)
   return headers[name] or headers[string.lower(name)]
      or headers[string.gsub(name, "^%l", string.upper)]
end

function response(status, headers, body)
   -- Classify by what the response is, not by FIFO position, so that interleaving of
   -- connections cannot mismatch a step.
   local location = header(headers, "Location")
   if status == 302 or status == 303 then
      local code = location and string.match(location, "[?&]code=([^&]+)")
      if code then
         push({ kind = "token", code = code })
         return
      end
      failures = failures + 1
      return
   end
   if status == 200 and body then
      local token = string.match(body, '"access_token"%s*:%s*"([^"]+)"')
      if token then
         push({ kind = "user", token = token })
         return
      end
      if string.find(body, '"login"', 1, true) then
         signins = signins + 1
         return
      end
   end
   failures = failures + 1
end

function done(summary, latency, requests)
   local total, failed = 0, 0
   for _, t in ipairs(threads) do
      total = total + (t:get("signins") or 0)
      failed = failed + (t:get("failures") or 0)
   end
   local secs = summary.duration / 1e6
   report(summary, latency, {
      signins = total,
      signin_failures = failed,
      signins_per_sec = string.format("%.1f", total / secs),
   })
end

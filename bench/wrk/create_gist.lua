-- POST /gists as fast as the connections allow, for bench/emulator-state.sh. Every body
-- is a new one-file gist whose description names the wrk thread and a counter, so that
-- the gists a run made can be told apart from the seed's. Settings from the environment:
-- BENCH_TOKEN (a token with the `gist` scope), BENCH_REPORT (path of report.lua).
-- Prints report.lua's BENCH line with "created" (answers 201) added.

dofile(os.getenv("BENCH_REPORT") or "bench/wrk/report.lua")

local token = os.getenv("BENCH_TOKEN")
local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

-- per thread (each wrk thread has its own Lua state)
created = 0
local n = 0

function request()
   n = n + 1
   local body = string.format(
      '{"description":"bench-state %d-%d","public":true,"files":{"note.txt":{"content":"created by wrk, thread %d, request %d\\n"}}}',
      tid, n, tid, n)
   return wrk.format("POST", "/api/v3/gists", {
      ["Authorization"] = "Bearer " .. token,
      ["User-Agent"] = "gistdesk-bench",
      ["Accept"] = "application/vnd.github+json",
      ["Content-Type"] = "application/json",
   }, body)
end

function response(status, headers, body)
   if status == 201 then
      created = created + 1
   end
end

function done(summary, latency, requests)
   local total = 0
   for _, t in ipairs(threads) do
      total = total + (t:get("created") or 0)
   end
   report(summary, latency, { created = total })
end

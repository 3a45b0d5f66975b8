-- bench/bad-day.sh's load: signed-in sessions taken in turn from sessions.tsv
-- (cookie TAB csrf per line), over the list, a gist, the account page, and a gist
-- created every 100th request. Per-route figures come from nginx's log, not from here.
local sessions, gists = {}, {}
local n, offset = 0, 0

local function read_lines(path, into)
   local f = assert(io.open(path, "r"))
   for line in f:lines() do
      if #line > 0 then into[#into + 1] = line end
   end
   f:close()
end

function setup(thread)
   thread:set("offset", math.random(0, 1000000))
end

function init(args)
   read_lines(os.getenv("BAD_DAY_SESSIONS"), sessions)
   read_lines(os.getenv("BAD_DAY_GISTS"), gists)
   offset = tonumber(offset) or 0
end

function request()
   n = n + 1
   local cookie, csrf = sessions[(offset + n) % #sessions + 1]:match("^([^\t]+)\t(.*)$")
   local headers = { ["Cookie"] = cookie, ["Host"] = os.getenv("BAD_DAY_HOST") }
   if n % 100 == 0 then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      local body = "csrf_token=" .. csrf .. "&description=bad-day&visibility=secret"
         .. "&file-0-name=load.txt&file-0-content=made+under+load&intent=save"
      return wrk.format("POST", "/gists", headers, body)
   end
   local pick = n % 3
   if pick == 0 then
      return wrk.format("GET", "/gists", headers)
   elseif pick == 1 then
      return wrk.format("GET", "/gists/" .. gists[(offset + n) % #gists + 1], headers)
   end
   return wrk.format("GET", "/account", headers)
end

dofile(os.getenv("BENCH_REPORT"))

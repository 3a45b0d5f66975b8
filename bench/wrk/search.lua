-- bench/search.sh's load: one signed-in session (BENCH_COOKIE) searching its gists, the
-- queries taken in turn from the list below (each wrk thread from its own starting
-- point): a word, two words, a quoted phrase, language:, filename:, extension:, is:secret.
-- Every answer is checked: a 200 listing at least one file, and not the "Indexing your gists"
-- page (the index must be built before the load starts). Anything else is counted as
-- `bad_answers` in the JSON line.
dofile(os.getenv("BENCH_REPORT") or "bench/wrk/report.lua")

-- The words come from bench/search_seed.py's vocabulary, file names from its naming.
local queries = {
   "tokio",
   "mutex channel",
   '"serde json"',
   "language:rust spawn",
   "filename:notes_42",
   "extension:py cookie",
   "is:secret etag",
   '"http request" language:markdown',
}

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
bad = 0
local paths = {}
local n = 0
local cookie = os.getenv("BENCH_COOKIE")

function init(args)
   for i, q in ipairs(queries) do
      paths[i] = "/gists/search?q=" .. urlencode(q)
   end
   n = (tid or 0) * 3
end

function request()
   n = n % #paths + 1
   return wrk.format("GET", paths[n], { ["Cookie"] = cookie })
end

function response(status, headers, body)
   if status ~= 200 or headers["refresh"] or headers["Refresh"]
      or not string.find(body, '<ul class="results">', 1, true) then
      bad = bad + 1
   end
end

function done(summary, latency, requests)
   local total = 0
   for _, t in ipairs(threads) do
      total = total + (t:get("bad") or 0)
   end
   report(summary, latency, { bad_answers = total })
end

-- Shared by every wrk run of bench/run.sh: prints one JSON line, prefixed "BENCH ",
-- with requests/s, latency percentiles (ms) and error counts, for bench/report.py.
-- Use it as `wrk -s bench/wrk/report.lua ...`, or `dofile` it from another script
-- and call report(summary, latency, extra) from that script's done().

function report(summary, latency, extra)
   local secs = summary.duration / 1e6
   local e = summary.errors
   local parts = {
      string.format('"requests":%d', summary.requests),
      string.format('"secs":%.3f', secs),
      string.format('"rps":%.1f', summary.requests / secs),
      string.format('"p50_ms":%.3f', latency:percentile(50) / 1000),
      string.format('"p90_ms":%.3f', latency:percentile(90) / 1000),
      string.format('"p99_ms":%.3f', latency:percentile(99) / 1000),
      string.format('"max_ms":%.3f', latency.max / 1000),
      string.format('"err_connect":%d', e.connect),
      string.format('"err_read":%d', e.read),
      string.format('"err_write":%d', e.write),
      string.format('"err_timeout":%d', e.timeout),
      string.format('"err_status":%d', e.status),
   }
   for k, v in pairs(extra or {}) do
      parts[#parts + 1] = string.format('"%s":%s', k, tostring(v))
   end
   io.write("BENCH {" .. table.concat(parts, ",") .. "}\n")
end

if not done then
   function done(summary, latency, requests)
      report(summary, latency, {})
   end
end

-- wrk script of bench/aa.py: POST pre-signed AttributeQueries, each once, in file order.
-- BENCH_AA_BODIES names a file of SOAP bodies separated by NUL bytes. Run with one wrk
-- thread (-t1): the bodies are not shared between threads, and one thread is plenty.
-- Answers are not read here (that would cost the client a Lua call and a copy per answer):
-- bench/aa.py counts outcomes from the server's metrics.
local requests, sent = {}, 0

function init(args)
  local file = assert(io.open(os.getenv("BENCH_AA_BODIES"), "rb"))
  local data = file:read("*a")
  file:close()
  local headers = {["Content-Type"] = "text/xml; charset=utf-8"}
  for body in data:gmatch("[^%z]+") do
    requests[#requests + 1] = wrk.format("POST", nil, headers, body)
  end
end

function request()
  sent = sent + 1
  return requests[(sent - 1) % #requests + 1]  -- past the end: replays, refused
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %.6f %.3f %.3f %d\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end

-- wrk script of bench/oidc.py: GET /oidc/rights with a bearer token (BENCH_OIDC_TOKEN), the
-- paths of BENCH_OIDC_PATHS (one per line) in turn. Prints the same BENCH line as bench/aa.lua.
local requests, sent = {}, 0

function init(args)
  local headers = {["Authorization"] = "Bearer " .. os.getenv("BENCH_OIDC_TOKEN")}
  for path in os.getenv("BENCH_OIDC_PATHS"):gmatch("[^\n]+") do
    requests[#requests + 1] = wrk.format("GET", path, headers)
  end
end

function request()
  sent = sent + 1
  return requests[(sent - 1) % #requests + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %.6f %.3f %.3f %d\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end

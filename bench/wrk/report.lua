-- Report POSTs from distinct reporters: each request has its own client address
-- (X-Forwarded-For, read with TRUSTED_PROXY_COUNT=1), user agent, id and report.
-- Arguments: a path with "{slug}" in it, then the service slugs to spread reports over.
-- done() prints one "BENCH {json}" line that bench/loadgen.py parses.

local platforms = { "web", "ios", "android", "desktop", "api", "other" }
-- The problem types of the bench's services' category ("other"): intake refuses the rest.
local problems = { "login", "website", "app", "connection", "other" }
local countries = { "US", "GB", "FR", "DE", "ES", "IT", "BR", "IN", "JP", "CA", "AU", "NL",
  "MX", "PL", "SE", "" }
local path_template, slugs = "/", {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

function init(args)
  path_template = args[1]
  for i = 2, #args do slugs[#slugs + 1] = args[i] end
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
end

local random = math.random

local function pick(list) return list[random(#list)] end

local function uuid4()
  return string.format("%04x%04x-%04x-4%03x-%04x-%04x%04x%04x", random(0, 0xffff),
    random(0, 0xffff), random(0, 0xffff), random(0, 0xfff), 0x8000 + random(0, 0x3fff),
    random(0, 0xffff), random(0, 0xffff), random(0, 0xffff))
end

function request()
  local body
  if random(10) == 1 then
    body = string.format('{"id":"%s","kind":"works","platform":"%s"}', uuid4(), pick(platforms))
  else
    local country = pick(countries)
    local country_field = country == "" and "" or string.format(',"country":"%s"', country)
    body = string.format('{"id":"%s","platform":"%s","problem":"%s"%s}', uuid4(),
      pick(platforms), pick(problems), country_field)
  end
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = string.format("%d.%d.%d.%d", random(1, 223), random(0, 255),
      random(0, 255), random(1, 254)),
    ["User-Agent"] = string.format("OutagesApp/%d.%d (bench %d)", random(1, 9), random(0, 20),
      random(1, 1000000)),
  }
  local path = string.gsub(path_template, "{slug}", #slugs > 0 and pick(slugs) or "")
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,' ..
    '"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max))
end

-- report.lua's report POSTs at a steady rate: each connection waits a random pause (exponential,
-- so the connections do not fall into step) before each request. Arguments: the mean pause in
-- milliseconds, then report.lua's (a path with "{slug}", the slugs). With pauses much longer
-- than the answers, the rate is about connections x 1000 / pause per second.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local report_init = init
local pause = 0

function init(args)
  pause = tonumber(args[1])
  local rest = {}
  for i = 2, #args do rest[#rest + 1] = args[i] end
  report_init(rest)
end

function delay()
  return -pause * math.log(1 - math.random())
end

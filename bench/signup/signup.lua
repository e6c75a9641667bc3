-- wrk script: every request is a sign-up with a unique e-mail address.
-- Reads SIGNUP_PATH, SIGNUP_COOKIE and SIGNUP_CSRF from the environment (set by run.py).
local counter = 0
local next_thread = 0

function setup(thread)
  -- Sets the global `thread_id` inside that thread's own Lua state (a top-level local of the
  -- same name would shadow it there, so the two names differ).
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  path = os.getenv("SIGNUP_PATH")
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = os.getenv("SIGNUP_COOKIE"),
  }
  csrf = os.getenv("SIGNUP_CSRF")
end

function request()
  counter = counter + 1
  local who = thread_id .. "-" .. counter
  local body = "csrf_token=" .. csrf .. "&name=Deelnemer+" .. who .. "&company_name=Bedrijf+" .. who
    .. "&email=bench-" .. who .. "%40example.org"
  return wrk.format("POST", path, headers, body)
end

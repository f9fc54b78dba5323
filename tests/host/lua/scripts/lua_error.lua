-- A plain Lua error on line 4.
local function fail(message)
  -- the error is raised here
  error(message)
end
fail("boom from lua")

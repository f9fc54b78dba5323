-- A C++ exception (shape mismatch) thrown inside a binding called on line 6, from a
-- function called on line 9: the error lands at line 6 and the traceback shows line 9.
local A = ntk.matrix(2, 3)
local B = ntk.matrix(2, 3)
local function multiply(x, y)
  return x * y
end

local C = multiply(A, B)

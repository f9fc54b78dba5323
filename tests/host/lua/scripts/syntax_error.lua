local ok = 1
local broken = = 2

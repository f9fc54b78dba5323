-- A matrix index error on line 3 (the test checks "bad_index.lua:3:").
local M = ntk.matrix(2, 2)
local x = M:get(3, 1)

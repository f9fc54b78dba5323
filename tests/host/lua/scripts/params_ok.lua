-- Succeeds; writes what it saw of `params` next to params.out.
assert(math.type(params.n) == "integer", "n should be an integer")
assert(math.type(params.lr) == "float" and params.lr == 1e-3, "lr should be 0.001")
assert(params.name == "relu", "name should stay a string")
local helper = require("script_helper")   -- found next to this script
ntk.io.write_jsonl(params.out, {n = params.n, lr = params.lr, name = params.name,
                                helper = helper.answer})

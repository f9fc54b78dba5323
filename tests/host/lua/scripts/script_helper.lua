-- A module required by params_ok.lua (the script's directory is on package.path).
return {answer = 42}

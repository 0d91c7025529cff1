// Package script is the analyst's DSL: one Go description of every fsc
// function (Funcs), bound to gopher-lua (Lua) and gpython (Python syntax),
// and the study runner behind `fsc-kernel run`. It talks to the analyst's
// own node through mpc/client and knows nothing of secret sharing or of
// Jupyter.
package script

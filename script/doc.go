// Package script is the analyst's DSL: one Go description of every fsc
// function (Funcs), the environment the functions run against (Env: the
// analyst's own node, the output, what a study records), the typed errors
// an analyst acts on (Error), the Runtime interface a language implements,
// the rich displays of results, and the study runner behind
// `fsc-kernel run`.
//
// It is not a language: script/python binds the DSL to gpython and
// script/lua to gopher-lua, each from Funcs, so the two never drift. This
// package imports neither; whoever runs a study or a kernel (cmd/fsc-kernel)
// picks the language. It talks to the node through mpc/client and knows
// nothing of secret sharing or of Jupyter.
package script

// Package lua binds the fsc DSL (package script) to gopher-lua, Lua 5.1
// in Go: fsc.name(...) for the functions of script.Funcs, t:name(...) for
// the methods of tables and of the node, typed errors as values with a
// name and a message, print and io writing to the cell's output. It
// supplies its own language description (banner, help links, exporter)
// through Runtime.Language; cmd/fsc-kernel starts it with Start.
package lua

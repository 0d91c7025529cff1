// Package python binds the fsc DSL (package script) to gpython, Python
// 3.4's syntax in Go, extended by the internal package gpyext to the
// Python subset its doc describes: fsc.name(...) for the functions of
// script.Funcs, t.name(...) for the methods of tables and of the node,
// rich results as fsc.Result, the DSL's typed errors as exception classes
// (fsc.Error and its subclasses). It supplies its own language
// description (banner, help links, exporter) through Runtime.Language;
// cmd/fsc-kernel starts it with Start.
package python

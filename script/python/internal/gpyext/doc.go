// Package gpyext extends gpython (github.com/go-python/gpython v0.2.0, a
// Go implementation of Python 3.4) to the Python the fsc DSL promises an
// analyst, and fences every change it makes to gpython in this package.
// It knows nothing of the DSL: script/python binds the DSL on top of an
// Interp.
//
// # The Python subset
//
// A cell is Python 3.4 as gpython implements it (statements, functions,
// classes, closures, generators, comprehensions, exceptions), with:
//
//   - f-strings (Python 3.6), including conversions (!r, !s, !a), format
//     specifications with nested fields, adjacent literals and f"{x=}"
//     (Python 3.8), parsed into the cell's syntax tree. A syntax error in an
//     f-string quotes the analyst's own line (fstring.go);
//   - str.format and format() with CPython's format specification
//     mini-language; % on a str as CPython's printf-style formatting;
//   - CPython's text for floats in print, str, repr and displays (the
//     shortest text that reads back), and dicts shown with their keys
//     sorted (gpython's dicts keep no order);
//   - CPython's round (halves to even, exact decimal ndigits);
//   - str.join, str.upper, str.lower, list.index, list.count,
//     type(x).__name__;
//   - sorted over tuples and lists (item by item), with key and reverse;
//     isinstance and issubclass counting subclasses (bool is an int);
//   - user-defined exception classes that except clauses catch;
//     RecursionError after 1000 nested calls instead of a Go stack
//     overflow;
//   - a json module: dumps (indent, separators, sort_keys, ensure_ascii)
//     and loads, with JSONDecodeError a ValueError;
//   - sys.stdout and sys.stderr (write, flush) and print writing to the
//     host's output; sys.exit raising SystemExit; help() and dir();
//   - time.sleep, range and loops that a cancel stops.
//
// Not there: importing files (import finds only fsc, json, math, time,
// sys and string), input(), insertion-ordered dicts, and everything after
// Python 3.4 not listed above (walrus, match, type hints at run time...).
//
// # What it changes in gpython, for the whole process
//
// gpython's types are process-wide. At start-up this package adds to them
// what they lack: str.format, str.join, str.upper, str.lower, list.index,
// list.count, type.__name__ and the __name__ of the exception classes
// (builtins.go; it only adds, nothing gpython has is replaced). And it
// wraps entries of gpython's opcode jump table (vm.go, the one file that
// changes what gpython does, guarded by TestVMHooked): loops, calls and
// returns check the stop flag of the interpreter whose frame runs, calls
// count the recursion depth, and % on a str formats as CPython. Frames of
// gpython contexts not made by this package pass the stop and depth
// checks untouched. The one other reach into gpython's internals calls its
// compiler on a cell's syntax tree, which holds the f-strings parsed here
// (compile_tree.go, guarded by TestCompileTreeAsGpython); it changes
// nothing in gpython. Everything else (round, print, repr,
// sorted, range, json, sys.stdout...) is installed per interpreter.
// Within fsc-kernel only script/python imports gpython (script's
// TestImportDirection), so nothing else sees these changes.
package gpyext

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fsc-kernel/fsc-kernel/internal/cli"
	"github.com/fsc-kernel/fsc-kernel/mpc/node"
)

// pending lists the queries waiting for the owner's approval.
func pending(args []string) error {
	fs := cli.New("fsc-node pending", `  fsc-node pending --config FILE [--json]

Lists the federation queries that wait at this node for your approval
(policy auto_join = false): who asked, what, which columns, the where.
Approve one with "fsc-node approve --config FILE ID", deny it with
"fsc-node deny --config FILE ID". Run it as the node's user, on its machine.`)
	config := fs.String("config", "", "the running node's config `FILE`")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("pending: unexpected argument %q (see fsc-node pending -h)", rest[0])
	}
	owner, err := ownerOf(*config, "pending")
	if err != nil {
		return err
	}
	list, err := owner.Pending(context.Background())
	if err != nil {
		return fmt.Errorf("pending: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	writePending(os.Stdout, list, time.Now())
	return nil
}

// decide approves or denies one waiting query.
func decide(verb string, args []string) error {
	fs := cli.New("fsc-node "+verb, fmt.Sprintf(`  fsc-node %s --config FILE ID

%s the federation query ID that waits at this node for your approval
("fsc-node pending --config FILE" lists them). An approval covers that one
query exactly; the node's disclosure rules still apply to it.`, verb, strings.ToUpper(verb[:1])+verb[1:]))
	config := fs.String("config", "", "the running node's config `FILE`")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%s: give the id of one waiting query (see fsc-node pending)", verb)
	}
	owner, err := ownerOf(*config, verb)
	if err != nil {
		return err
	}
	p, err := owner.Decide(context.Background(), rest[0], verb == "approve")
	if err != nil {
		return fmt.Errorf("%s: %w", verb, err)
	}
	fmt.Printf("%s %s: %s of %s asked by %s\n", p.Decision, p.ID, printable(p.Microprotocol), printable(what(*p)), printable(asker(*p)))
	return nil
}

// parseInterleaved parses flags given before and after the positional
// arguments (fsc-node approve ID --config FILE as well).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := cli.Parse(fs, args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if len(left) == 0 {
			return rest, nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

func ownerOf(config, verb string) (*node.Owner, error) {
	if config == "" {
		return nil, fmt.Errorf("%s: give --config FILE, the running node's config", verb)
	}
	cfg, err := node.LoadConfig(config)
	if err != nil {
		return nil, err
	}
	return node.NewOwner(cfg)
}

// writePending prints the waiting queries as a table.
func writePending(w io.Writer, list []node.PendingQuery, now time.Time) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no query waits for your approval")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tASKED BY\tSTATISTIC\tTABLE AND COLUMNS\tWHERE\tPARAMETERS\tEXPIRES IN")
	for _, p := range list {
		params := ""
		if len(p.Parameters) > 0 {
			b, _ := json.Marshal(p.Parameters)
			params = string(b)
		}
		where := p.Where
		if where == "" {
			where = "(all rows)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", printable(p.ID), printable(asker(p)), printable(p.Microprotocol),
			printable(what(p)), printable(where), printable(params), p.Expires.Sub(now).Round(time.Second))
	}
	tw.Flush()
}

func asker(p node.PendingQuery) string { return p.Requester + " at " + p.Leader }

func what(p node.PendingQuery) string {
	if len(p.Columns) == 0 {
		return p.Table
	}
	return p.Table + ": " + strings.Join(p.Columns, ", ")
}

// printable writes what a leader sent so that it cannot move the cursor
// or colour the owner's terminal: control characters are escaped, and a
// long text is cut.
func printable(s string) string {
	const most = 200
	var b strings.Builder
	for i, r := range s {
		if i >= most {
			b.WriteString("…")
			break
		}
		if unicode.IsGraphic(r) && r != utf8.RuneError {
			b.WriteRune(r)
		} else {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// Reads a JSON array of PromQL expressions on stdin, parses each with the Prometheus project's
// own PromQL parser (github.com/prometheus/prometheus/promql/parser, the one the server runs)
// and writes, for each, the metric names its selectors read or the parse error, as a JSON
// array in the same order. The dashboard tests use it to prove every panel queries a metric
// that /metrics exposes.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type result struct {
	Metrics []string `json:"metrics"`
	Error   string   `json:"error,omitempty"`
}

// metricName is the name a selector reads: its name, or an exact __name__ matcher; "" when it
// reads any metric (a regular expression on __name__), which the caller reports.
func metricName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var exprs []string
	if err := json.Unmarshal(in, &exprs); err != nil {
		fmt.Fprintln(os.Stderr, "expected a JSON array of strings:", err)
		os.Exit(1)
	}
	out := make([]result, len(exprs))
	for i, text := range exprs {
		out[i].Metrics = []string{}
		expr, err := parser.ParseExpr(text)
		if err != nil {
			out[i].Error = err.Error()
			continue
		}
		parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
			if vs, ok := node.(*parser.VectorSelector); ok {
				out[i].Metrics = append(out[i].Metrics, metricName(vs))
			}
			return nil
		})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

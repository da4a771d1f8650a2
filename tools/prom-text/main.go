// Reads Prometheus text exposition on stdin with the Prometheus project's own parser
// (github.com/prometheus/common/expfmt, the one the Prometheus server scrapes with) and writes
// the metric families as JSON, or exits 1 naming the first problem. The tests use it to prove
// that /metrics is valid Prometheus text.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type sample struct {
	Labels map[string]string `json:"labels"`
	Value  *float64          `json:"value,omitempty"`
	Count  *uint64           `json:"count,omitempty"`
	Sum    *float64          `json:"sum,omitempty"`
	Bucket map[string]uint64 `json:"buckets,omitempty"`
}

type family struct {
	Name    string   `json:"name"`
	Help    string   `json:"help"`
	Type    string   `json:"type"`
	Samples []sample `json:"samples"`
}

func main() {
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	names := make([]string, 0, len(families))
	for name := range families {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]family, 0, len(names))
	for _, name := range names {
		mf := families[name]
		f := family{Name: name, Help: mf.GetHelp(), Type: mf.GetType().String()}
		for _, m := range mf.GetMetric() {
			s := sample{Labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				s.Labels[l.GetName()] = l.GetValue()
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				v := m.GetCounter().GetValue()
				s.Value = &v
			case dto.MetricType_GAUGE:
				v := m.GetGauge().GetValue()
				s.Value = &v
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				c, sum := h.GetSampleCount(), h.GetSampleSum()
				s.Count, s.Sum = &c, &sum
				s.Bucket = map[string]uint64{}
				for _, b := range h.GetBucket() {
					s.Bucket[fmt.Sprint(b.GetUpperBound())] = b.GetCumulativeCount()
				}
			case dto.MetricType_SUMMARY:
				c, sum := m.GetSummary().GetSampleCount(), m.GetSummary().GetSampleSum()
				s.Count, s.Sum = &c, &sum
			default:
				v := m.GetUntyped().GetValue()
				s.Value = &v
			}
			f.Samples = append(f.Samples, s)
		}
		out = append(out, f)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

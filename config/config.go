// Package config reads EasyTPP experiment YAML files unchanged: the
// pipeline_config_id, the data: block of data-set specs and the experiment
// blocks (NHP_train, THP_gen, ...) with their base_config, trainer_config
// and model_config. It types every key EasyTPP reads, keeps the raw maps for
// model-specific keys (model_specs), and maps the trainer block onto
// train.Options.
//
// EasyTPP passes each block to a class that picks the keys it knows with
// kwargs.get and drops everything else without a word, so a misspelt or
// misplaced key (dropout for dropout_rate, a trainer_config nested inside
// base_config) silently falls back to a default. This package reports such
// keys as warnings, with the file, line and key path and a suggestion where
// one is close. Values of the wrong type are errors naming the file, line and
// key path. Values are read as PyYAML (which EasyTPP uses) would read them
// where that matters: yes/no/on/off are booleans, and a float written
// without a dot (1e-3, which PyYAML reads as a string) gets a warning.
//
// Blocks are decoded on demand (File.Experiment, File.Dataset), so a broken
// block does not stop another from being used; File.Check decodes them all.
package config

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Warning is a key or value that is accepted but probably not what the
// author meant.
type Warning struct {
	File string
	Line int
	Path string // dotted key path, e.g. NHP_train.model_config.dropout
	Msg  string
}

func (w Warning) String() string { return location(w.File, w.Line, w.Path) + w.Msg }

// Error is a value that cannot be used.
type Error struct {
	File string
	Line int
	Path string
	Msg  string
}

func (e *Error) Error() string { return location(e.File, e.Line, e.Path) + e.Msg }

func location(file string, line int, path string) string {
	var b strings.Builder
	b.WriteString(file)
	if line > 0 {
		fmt.Fprintf(&b, ":%d", line)
	}
	b.WriteString(": ")
	if path != "" {
		b.WriteString(path)
		b.WriteString(": ")
	}
	return b.String()
}

// File is a parsed EasyTPP configuration file.
type File struct {
	Path string
	// PipelineConfigID is pipeline_config_id (runner_config for experiments).
	PipelineConfigID string
	// Warnings found at the top level (per-block warnings are on the blocks).
	Warnings []Warning

	top  []entry // top-level entries
	data []entry // entries of the data: block
}

// Load reads and parses the file at path.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse parses YAML text; name is used in messages.
func Parse(name string, text []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f := &File{Path: name}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: name, Msg: "empty configuration"}
	}
	d := &decoder{file: name}
	top, err := d.entries(doc.Content[0], "")
	if err != nil {
		return nil, err
	}
	f.top = top
	for _, e := range top {
		switch e.key {
		case "pipeline_config_id":
			if err := strField(&f.PipelineConfigID)(d, e.val, e.key); err != nil {
				return nil, err
			}
			if f.PipelineConfigID != "runner_config" {
				d.warn(e.val, e.key, fmt.Sprintf("%q: this package reads runner (experiment) configs, pipeline_config_id runner_config", f.PipelineConfigID))
			}
		case "data":
			if f.data, err = d.entries(e.val, "data"); err != nil {
				return nil, err
			}
		default:
			if !isExperiment(e.val) && e.val.Anchor == "" {
				d.warn(e.keyNode, e.key, "top-level key is neither pipeline_config_id, data nor an experiment block (a mapping with base_config); ignored")
			}
		}
	}
	if _, ok := find(top, "pipeline_config_id"); !ok {
		d.warn(doc.Content[0], "", "no pipeline_config_id (EasyTPP needs pipeline_config_id: runner_config)")
	}
	f.Warnings = d.warns
	return f, nil
}

// Experiments lists the experiment blocks (top-level mappings other than
// data), in file order.
func (f *File) Experiments() []string {
	var out []string
	for _, e := range f.top {
		if e.key != "data" && e.key != "pipeline_config_id" && isExperiment(e.val) {
			out = append(out, e.key)
		}
	}
	return out
}

// Datasets lists the data-set ids of the data: block, in file order.
func (f *File) Datasets() []string {
	var out []string
	for _, e := range f.data {
		out = append(out, e.key)
	}
	return out
}

// Dataset decodes the data-set spec data.<id>. Warnings go to the returned
// spec.
func (f *File) Dataset(id string) (*DataConfig, error) {
	e, ok := find(f.data, id)
	if !ok {
		return nil, &Error{File: f.Path, Path: "data", Msg: fmt.Sprintf("no data set %q (have %s)", id, strings.Join(f.Datasets(), ", "))}
	}
	d := &decoder{file: f.Path}
	dc, err := d.dataConfig(e.val, "data."+id)
	if err != nil {
		return nil, err
	}
	dc.ID = id
	dc.Warnings = d.warns
	return dc, nil
}

// Experiment decodes one experiment block and the data set its
// base_config.dataset_id names.
func (f *File) Experiment(name string) (*Experiment, error) {
	e, ok := find(f.top, name)
	if !ok || name == "data" || name == "pipeline_config_id" {
		return nil, &Error{File: f.Path, Msg: fmt.Sprintf("no experiment %q (have %s)", name, strings.Join(f.Experiments(), ", "))}
	}
	if !isExperiment(e.val) {
		return nil, &Error{File: f.Path, Line: e.keyNode.Line, Path: name, Msg: "not an experiment block (no base_config mapping)"}
	}
	d := &decoder{file: f.Path}
	x, err := d.experiment(e.val, name)
	if err != nil {
		return nil, err
	}
	if id := x.Base.DatasetID; id != "" {
		if de, ok := find(f.data, id); ok {
			x.Data, err = d.dataConfig(de.val, "data."+id)
			if err != nil {
				return nil, err
			}
			x.Data.ID = id
		} else {
			d.warn(x.Base.datasetNode, name+".base_config.dataset_id", fmt.Sprintf("data set %q is not in the data: block (have %s); EasyTPP would stop here", id, strings.Join(f.Datasets(), ", ")))
		}
	}
	x.Warnings = d.warns
	return x, nil
}

// Check decodes every data set and experiment and returns all warnings
// (top level first) and all errors.
func (f *File) Check() (warnings []Warning, errs []error) {
	warnings = append(warnings, f.Warnings...)
	for _, id := range f.Datasets() {
		dc, err := f.Dataset(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		warnings = append(warnings, dc.Warnings...)
	}
	for _, name := range f.Experiments() {
		x, err := f.Experiment(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// Data-set warnings were reported above already.
		for _, w := range x.Warnings {
			if !strings.HasPrefix(w.Path, "data.") {
				warnings = append(warnings, w)
			}
		}
	}
	return warnings, errs
}

// entry is one key/value pair of a mapping.
type entry struct {
	key          string
	keyNode, val *yaml.Node
}

func find(es []entry, key string) (entry, bool) {
	for _, e := range es {
		if e.key == key {
			return e, true
		}
	}
	return entry{}, false
}

// isExperiment reports whether n is a mapping with a base_config key.
func isExperiment(n *yaml.Node) bool {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "base_config" {
			return true
		}
	}
	return false
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

type decoder struct {
	file  string
	warns []Warning
}

func (d *decoder) warn(n *yaml.Node, path, msg string) {
	line := 0
	if n != nil {
		line = n.Line
	}
	w := Warning{File: d.file, Line: line, Path: path, Msg: msg}
	if !slices.Contains(d.warns, w) { // a node decoded twice warns once
		d.warns = append(d.warns, w)
	}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, a ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, a...)}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// entries lists the pairs of a mapping node, following aliases and merge
// keys (<<). A key given twice warns; the later value wins, as in PyYAML.
func (d *decoder) entries(n *yaml.Node, path string) ([]entry, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, d.errorf(n, path, "want a mapping, got %s", describe(n))
	}
	var out []entry
	put := func(e entry, explicit bool) {
		for i := range out {
			if out[i].key == e.key {
				if explicit {
					d.warn(e.keyNode, join(path, e.key), fmt.Sprintf("key given twice (first on line %d); the later value is used", out[i].keyNode.Line))
				}
				out[i] = e
				return
			}
		}
		out = append(out, e)
	}
	var explicit []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, d.errorf(k, path, "mapping key is not a scalar")
		}
		if k.Value == "<<" && (k.Tag == "" || k.ShortTag() == "!!merge") {
			merged := []*yaml.Node{resolve(v)}
			if merged[0].Kind == yaml.SequenceNode {
				merged = merged[0].Content
			}
			for _, m := range merged {
				es, err := d.entries(m, path)
				if err != nil {
					return nil, err
				}
				for _, e := range es {
					put(e, false)
				}
			}
			continue
		}
		explicit = append(explicit, entry{key: k.Value, keyNode: k, val: v})
	}
	seen := map[string]bool{}
	for _, e := range explicit {
		put(e, seen[e.key])
		seen[e.key] = true
	}
	return out, nil
}

func describe(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "an empty value"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return fmt.Sprintf("%s %s", n.ShortTag(), n.Value)
	}
	return "an unsupported node"
}

// setter decodes one value into its destination.
type setter func(d *decoder, n *yaml.Node, path string) error

// fields decodes the mapping n with the given setters. Keys in notes are
// known but have no effect (the note says why); other keys are unknown and
// warn with a suggestion from the known names. An empty (null) value keeps
// the default, with a warning, unless the setter accepts null (nullable).
func (d *decoder) fields(n *yaml.Node, path string, set map[string]setter, nullable map[string]bool, notes map[string]string) error {
	es, err := d.entries(n, path)
	if err != nil {
		return err
	}
	for _, e := range es {
		p := join(path, e.key)
		if s, ok := set[e.key]; ok {
			if isNull(e.val) && !nullable[e.key] {
				d.warn(e.keyNode, p, "empty value: EasyTPP would pass None here; the default is kept")
				continue
			}
			if err := s(d, e.val, p); err != nil {
				return err
			}
			continue
		}
		if note, ok := notes[e.key]; ok {
			d.warn(e.keyNode, p, note)
			continue
		}
		known := make([]string, 0, len(set))
		for k := range set {
			known = append(known, k)
		}
		d.warn(e.keyNode, p, unknownMsg(e.key, known))
	}
	return nil
}

// misplaced names keys that belong to another block.
var misplaced = map[string]string{
	"trainer_config": "at the experiment level", "model_config": "at the experiment level", "base_config": "at the experiment level",
	"data_specs": "in a data.<id> block", "thinning": "in model_config", "model_specs": "in model_config",
}

func unknownMsg(key string, known []string) string {
	msg := "unknown key, ignored by EasyTPP and gotpp"
	if where, ok := misplaced[key]; ok && !slices.Contains(known, key) {
		return msg + "; it belongs " + where
	}
	if s := suggest(key, known); s != "" {
		return msg + fmt.Sprintf("; did you mean %s?", s)
	}
	return msg
}

// suggest returns the known key closest to key (edit distance at most 2, or
// one is a prefix of the other), or "".
func suggest(key string, known []string) string {
	best, bestD := "", 3
	slices.Sort(known)
	for _, k := range known {
		dist := editDistance(key, k)
		if strings.HasPrefix(k, key+"_") || strings.HasPrefix(key, k+"_") {
			dist = min(dist, 2)
		}
		if dist < bestD {
			best, bestD = k, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func scalar(d *decoder, n *yaml.Node, path, want string) (*yaml.Node, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return nil, d.errorf(n, path, "want %s, got %s", want, describe(n))
	}
	return n, nil
}

func intField(p *int) setter {
	return func(d *decoder, n *yaml.Node, path string) error {
		var v int64
		if err := int64Field(&v)(d, n, path); err != nil {
			return err
		}
		*p = int(v)
		return nil
	}
}

func int64Field(p *int64) setter {
	return func(d *decoder, n *yaml.Node, path string) error {
		s, err := scalar(d, n, path, "an integer")
		if err != nil {
			return err
		}
		if s.ShortTag() != "!!int" {
			return d.errorf(s, path, "want an integer, got %s", describe(s))
		}
		if err := s.Decode(p); err != nil {
			return d.errorf(s, path, "want an integer: %v", err)
		}
		return nil
	}
}

// pyFloat reports whether PyYAML (YAML 1.1) reads a plain scalar as a float:
// it needs a dot, and a signed exponent.
func pyFloat(v string) bool {
	v = strings.TrimLeft(v, "+-")
	switch strings.ToLower(v) {
	case ".inf", ".nan":
		return true
	}
	mant, exp, hasExp := strings.Cut(strings.ToLower(v), "e")
	if !strings.Contains(mant, ".") {
		return false
	}
	if hasExp {
		if len(exp) < 2 || (exp[0] != '+' && exp[0] != '-') {
			return false
		}
	}
	return true
}

func floatField(p *float64) setter {
	return func(d *decoder, n *yaml.Node, path string) error {
		s, err := scalar(d, n, path, "a number")
		if err != nil {
			return err
		}
		tag := s.ShortTag()
		if tag != "!!int" && tag != "!!float" {
			return d.errorf(s, path, "want a number, got %s", describe(s))
		}
		if err := s.Decode(p); err != nil {
			return d.errorf(s, path, "want a number: %v", err)
		}
		if tag == "!!float" && s.Style == 0 && !pyFloat(s.Value) {
			d.warn(s, path, fmt.Sprintf("PyYAML (and so EasyTPP) reads %s as a string, not a number; write it with a dot and a signed exponent, e.g. %s", s.Value, pyStyle(*p)))
		}
		return nil
	}
}

func pyStyle(x float64) string {
	s := fmt.Sprintf("%.6e", x)
	mant, exp, _ := strings.Cut(s, "e")
	mant = strings.TrimRight(mant, "0")
	if strings.HasSuffix(mant, ".") {
		mant += "0"
	}
	return mant + "e" + exp
}

// pyBools are the YAML 1.1 booleans PyYAML accepts beyond true/false.
var pyBools = map[string]bool{"yes": true, "on": true, "no": false, "off": false}

func boolField(p *bool) setter {
	return func(d *decoder, n *yaml.Node, path string) error {
		s, err := scalar(d, n, path, "a boolean")
		if err != nil {
			return err
		}
		switch s.ShortTag() {
		case "!!bool":
			return s.Decode(p)
		case "!!str":
			if v, ok := pyBools[strings.ToLower(s.Value)]; ok && s.Style == 0 {
				*p = v
				return nil
			}
		}
		return d.errorf(s, path, "want a boolean (true or false), got %s", describe(s))
	}
}

func strField(p *string) setter {
	return func(d *decoder, n *yaml.Node, path string) error {
		s, err := scalar(d, n, path, "a string")
		if err != nil {
			return err
		}
		if s.ShortTag() != "!!str" {
			return d.errorf(s, path, "want a string, got %s", describe(s))
		}
		*p = s.Value
		return nil
	}
}

func strsField(p *[]string) setter {
	return func(d *decoder, n *yaml.Node, path string) error {
		n = resolve(n)
		if n.Kind != yaml.SequenceNode {
			return d.errorf(n, path, "want a list of strings, got %s", describe(n))
		}
		out := make([]string, 0, len(n.Content))
		for i, c := range n.Content {
			var s string
			if err := strField(&s)(d, c, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
			out = append(out, s)
		}
		*p = out
		return nil
	}
}

// optInt decodes an integer that may be empty (null → nil).
func optIntField(p **int) setter {
	return func(d *decoder, n *yaml.Node, path string) error {
		if isNull(n) {
			*p = nil
			return nil
		}
		var v int
		if err := intField(&v)(d, n, path); err != nil {
			return err
		}
		*p = &v
		return nil
	}
}

// plain converts a node into plain Go values (map[string]any, []any,
// scalars), following aliases and merge keys, with the later of two equal
// keys winning as in PyYAML (yaml.v3's own decoding rejects duplicates).
func (d *decoder) plain(n *yaml.Node, path string) (any, error) {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		es, err := d.entries(n, path)
		if err != nil {
			return nil, err
		}
		m := make(map[string]any, len(es))
		for _, e := range es {
			if m[e.key], err = d.plain(e.val, join(path, e.key)); err != nil {
				return nil, err
			}
		}
		return m, nil
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			var err error
			if out[i], err = d.plain(c, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return nil, err
			}
		}
		return out, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, d.errorf(n, path, "%v", err)
		}
		return v, nil
	}
	return nil, d.errorf(n, path, "unsupported YAML node")
}

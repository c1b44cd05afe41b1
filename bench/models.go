package bench

// The models a benchmark can run: the classical ones (imported by the runner
// itself) and every neural model that registers itself with package model.
import _ "github.com/gotpp/gotpp/model/all"

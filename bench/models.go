package bench

// The models a benchmark can run: the classical ones (imported by the runner
// itself) and every neural model that registers itself with package model.
import (
	_ "github.com/gotpp/gotpp/model/compose"
	_ "github.com/gotpp/gotpp/model/fullynn"
	_ "github.com/gotpp/gotpp/model/intensityfree"
	_ "github.com/gotpp/gotpp/model/nhp"
	_ "github.com/gotpp/gotpp/model/odetpp"
	_ "github.com/gotpp/gotpp/model/rmtpp"
	_ "github.com/gotpp/gotpp/model/sahp"
	_ "github.com/gotpp/gotpp/model/thp"
)

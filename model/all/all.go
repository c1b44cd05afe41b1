// Package all links every model of gotpp into a program: importing it for
// its side effects registers the classical and neural models with the model
// and runs registries, so that `runs.Load` and `model.Lookup` know them all.
//
//	import _ "github.com/gotpp/gotpp/model/all"
package all

import (
	_ "github.com/gotpp/gotpp/model/attnhp"
	_ "github.com/gotpp/gotpp/model/compose"
	_ "github.com/gotpp/gotpp/model/fullynn"
	_ "github.com/gotpp/gotpp/model/hawkes"
	_ "github.com/gotpp/gotpp/model/intensityfree"
	_ "github.com/gotpp/gotpp/model/nhp"
	_ "github.com/gotpp/gotpp/model/odetpp"
	_ "github.com/gotpp/gotpp/model/poisson"
	_ "github.com/gotpp/gotpp/model/rmtpp"
	_ "github.com/gotpp/gotpp/model/s2p2"
	_ "github.com/gotpp/gotpp/model/sahp"
	_ "github.com/gotpp/gotpp/model/thp"
)

package main

// Link every model so that `tpp train/eval/predict` know them by name.
import _ "github.com/gotpp/gotpp/model/all"

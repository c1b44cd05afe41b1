package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// trainNeural trains a neural model; replaced by the neural-training wiring.
func trainNeural(cmd *cobra.Command, model string) error {
	return fmt.Errorf("model %q: neural models are not wired in yet", model)
}

// Command tpp is gotpp's command-line tool: data handling, simulation,
// training, evaluation, prediction and benchmarking of temporal point
// processes. Each sub-command lives in its own file and only wires flags to
// the library packages.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:           "tpp",
	Short:         "gotpp: temporal point processes in Go",
	Long:          "tpp loads event-sequence data, simulates, fits, evaluates and benchmarks classical and neural temporal point processes.",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "tpp: error:", err)
		os.Exit(1)
	}
}

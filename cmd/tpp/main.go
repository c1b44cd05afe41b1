// Command tpp is gotpp's command-line tool: data handling, simulation,
// training, evaluation, prediction and benchmarking of temporal point
// processes. Each sub-command lives in its own file and only wires flags to
// the library packages.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

var cpuProfile string

var rootCmd = &cobra.Command{
	Use:           "tpp",
	Short:         "gotpp: temporal point processes in Go",
	Long:          "tpp loads event-sequence data, simulates, fits, evaluates and benchmarks classical and neural temporal point processes.",
	SilenceUsage:  true,
	SilenceErrors: true,
	PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		return pprof.StartCPUProfile(f)
	},
	PersistentPostRun: func(cmd *cobra.Command, args []string) {
		if cpuProfile != "" {
			pprof.StopCPUProfile()
		}
	},
}

func init() {
	rootCmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (inspect with go tool pprof)")
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		if cpuProfile != "" {
			pprof.StopCPUProfile()
		}
		fmt.Fprintln(os.Stderr, "tpp: error:", err)
		os.Exit(1)
	}
}

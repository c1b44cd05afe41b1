package reftest

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/metrics"
	"github.com/gotpp/gotpp/predict"
)

// SampleSeq draws n events from the model itself, starting at start, each
// exactly by compensator inversion (predict.Sample) of NextAfter. Stopping
// after a fixed number of events (rather than at a window end, which would
// drop the last, censored gap and bias the gaps short) keeps the rescaled
// gaps i.i.d. Exp(1) under the model.
func SampleSeq(t *testing.T, m predict.Model, start float64, n int, rng *rand.Rand) data.Sequence {
	t.Helper()
	s := data.Sequence{Start: start}
	last := start
	for len(s.Times) < n {
		dt, k, err := predict.Sample(m.NextAfter(&s, len(s.Times)), rng, predict.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if math.IsInf(dt, 1) {
			t.Fatalf("defective law after %d events", len(s.Times))
		}
		last += dt
		s.Times = append(s.Times, last)
		s.Types = append(s.Types, k)
	}
	s.End = last
	return s
}

// CheckTimeRescaling samples nSeq sequences of nEv events from m through
// NextAfter and rescales every gap with the compensator of the batched
// training path: fullLL(prefix cut at t_{i−1}) − fullLL(prefix cut at t_i)
// = ∫ λ over (t_{i−1}, t_i], fullLL being the model's Full-convention
// log-likelihood of one sequence through its batched path. The gaps must be
// Exp(1) (KS test), the same gaps inflated by 30% must be rejected, and each
// batched gap must agree with NextAfter's intensity integrated by
// predict.RescaledGaps (adaptive Gauss–Kronrod) to maxGapDiff relative to
// max(1, gap).
func CheckTimeRescaling(t *testing.T, m predict.Model, fullLL func(data.Sequence) float64, nSeq, nEv int, maxGapDiff float64, rng *rand.Rand) {
	t.Helper()
	var gaps []float64
	worst := 0.0
	for q := 0; q < nSeq; q++ {
		s := SampleSeq(t, m, 0, nEv, rng)
		direct, err := predict.RescaledGaps(m, &s, predict.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range s.Times {
			prev := s.Start
			if i > 0 {
				prev = s.Times[i-1]
			}
			pre := data.Sequence{Times: s.Times[:i], Types: s.Types[:i], Start: s.Start}
			pre.End = prev
			a := fullLL(pre)
			pre.End = s.Times[i]
			b := fullLL(pre)
			gaps = append(gaps, a-b)
			worst = max(worst, math.Abs(a-b-direct[i])/math.Max(1, direct[i]))
		}
	}
	t.Logf("largest difference between the batched compensator and NextAfter's integrated by predict: %.2e", worst)
	if worst > maxGapDiff {
		t.Fatalf("batched compensator and NextAfter disagree by %.3g on a gap", worst)
	}
	ks, err := metrics.KSExp1(gaps)
	if err != nil {
		t.Fatal(err)
	}
	inflated := make([]float64, len(gaps))
	for i, g := range gaps {
		inflated[i] = 1.3 * g
	}
	bad, _ := metrics.KSExp1(inflated)
	t.Logf("%d rescaled gaps: KS D = %.4f, p = %.3f; inflated by 30%%: p = %.2g", len(gaps), ks.D, ks.PValue, bad.PValue)
	if ks.PValue < 0.01 {
		t.Fatalf("rescaled gaps are not Exp(1): KS D = %.4f, p = %.4f", ks.D, ks.PValue)
	}
	if bad.PValue > 0.01 {
		t.Fatalf("KS test did not reject gaps inflated by 30%%: p = %.4f", bad.PValue)
	}
}

// CheckPredictConcurrent: predict.Dataset, which calls NextAfter from
// several goroutines at once (sharing the prefix cache), gives the same
// rows as one goroutine.
func CheckPredictConcurrent(t *testing.T, m predict.Model, ds *data.Dataset) {
	t.Helper()
	one, err := predict.Dataset(m, ds, predict.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	many, err := predict.Dataset(m, ds, predict.Options{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != ds.NumEvents() || !reflect.DeepEqual(one, many) {
		t.Fatalf("%d rows with 1 worker, %d with 4, or they differ", len(one), len(many))
	}
}

// CheckNoLookAhead: the law NextAfter gives for event i of seq must not
// depend on events i, i+1, … . It compares, for every i, the intensities
// (and the compensator when the Next has one) at a few offsets against those
// of a copy of seq whose events from i on are replaced by other times and
// types, and against a copy truncated to its first i events (a different
// sequence, so no cached encoding of seq is reused). When m is a
// predict.SequenceModel, the laws its Laws yields for seq and for the
// changed and truncated copies are checked the same way against
// NextAfter(seq, i), and their count must be seq.Len()+1. A Next that
// implements predict.BatchIntensities must give Intensities' values.
func CheckNoLookAhead(t *testing.T, m predict.Model, seq data.Sequence, tol float64) {
	t.Helper()
	k := m.NumTypes()
	a, b := make([]float64, k), make([]float64, k)
	offsets := []float64{0, 0.05, 0.4, 1.7}
	sm, isSeq := m.(predict.SequenceModel)
	collect := func(s *data.Sequence) []predict.Next {
		var out []predict.Next
		for i, n := range sm.Laws(s) {
			if i != len(out) {
				t.Fatalf("Laws yielded index %d at position %d", i, len(out))
			}
			out = append(out, n)
		}
		if len(out) != s.Len()+1 {
			t.Fatalf("Laws yielded %d laws for %d events, want %d", len(out), s.Len(), s.Len()+1)
		}
		return out
	}
	var laws []predict.Next
	if isSeq {
		laws = collect(&seq)
	}
	for i := 0; i <= seq.Len(); i++ {
		alt := data.Sequence{Start: seq.Start, End: seq.End + 5,
			Times: append([]float64(nil), seq.Times...), Types: append([]int(nil), seq.Types...)}
		prev := seq.Start
		if i > 0 {
			prev = seq.Times[i-1]
		}
		for j := i; j < alt.Len(); j++ {
			prev += 0.37 + 0.11*float64(j%3)
			alt.Times[j] = prev
			alt.Types[j] = (seq.Types[j] + 1 + j) % k
		}
		cut := data.Sequence{Start: seq.Start, End: seq.End,
			Times: append([]float64(nil), seq.Times[:i]...), Types: append([]int(nil), seq.Types[:i]...)}
		want := m.NextAfter(&seq, i)
		if bn, ok := want.(predict.BatchIntensities); ok {
			// the batched evaluation equals Intensities offset by offset
			all := make([]float64, len(offsets)*k)
			bn.IntensitiesAt(offsets, all)
			for j, dt := range offsets {
				want.Intensities(dt, a)
				for kk := range a {
					if !RelClose(all[j*k+kk], a[kk], 1e-14) {
						t.Fatalf("event %d: IntensitiesAt gives λ_%d(+%g) = %.17g, Intensities %.17g", i, kk, dt, all[j*k+kk], a[kk])
					}
				}
			}
		}
		others := map[string]predict.Next{"changed future": m.NextAfter(&alt, i), "truncated": m.NextAfter(&cut, i)}
		if isSeq {
			others["Laws"] = laws[i]
			others["Laws, changed future"] = collect(&alt)[i]
			others["Laws, truncated"] = collect(&cut)[i]
		}
		for name, got := range others {
			for _, dt := range offsets {
				want.Intensities(dt, a)
				got.Intensities(dt, b)
				for kk := range a {
					if !RelClose(a[kk], b[kk], tol) {
						t.Fatalf("event %d (%s): λ_%d(+%g) = %.15g, with the original sequence %.15g", i, name, kk, dt, b[kk], a[kk])
					}
				}
				if wc, ok := want.(predict.ClosedForm); ok {
					wl, wok := wc.Closed()
					gl, gok := got.(predict.ClosedForm).Closed()
					if wok != gok || !RelClose(wl.MeanGivenEvent, gl.MeanGivenEvent, tol) || !RelClose(wl.TailMass, gl.TailMass, tol) {
						t.Fatalf("event %d (%s): closed-form law %+v, with the original sequence %+v", i, name, gl, wl)
					}
				}
				if wc, ok := want.(predict.Compensated); ok {
					gv, wv := got.(predict.Compensated).Compensator(dt), wc.Compensator(dt)
					if !RelClose(gv, wv, tol) {
						t.Fatalf("event %d (%s): Λ(+%g) = %.15g, with the original sequence %.15g", i, name, dt, gv, wv)
					}
				}
			}
		}
	}
}

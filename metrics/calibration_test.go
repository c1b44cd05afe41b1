package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestKSByHand(t *testing.T) {
	// One value at the Exp(1) median: F = 1/2, D = max(1 - 1/2, 1/2 - 0).
	r, err := KSExp1([]float64{math.Ln2})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "D one point", r.D, 0.5, 1e-15)
	// F values 0.1 and 0.8: D = max(1/2-0.1, 0.1-0, 1-0.8, 0.8-1/2) = 0.4.
	r, _ = KSExp1([]float64{-math.Log(0.2), -math.Log(0.9)})
	near(t, "D two points", r.D, 0.4, 1e-15)
	if _, err := KSExp1([]float64{1, -1}); err == nil {
		t.Error("negative gap accepted")
	}
}

func TestKolmogorovQ(t *testing.T) {
	// Classical critical values of the limiting distribution.
	near(t, "Q(1.2238)", KolmogorovQ(1.2238), 0.10, 5e-4)
	near(t, "Q(1.3581)", KolmogorovQ(1.3581), 0.05, 5e-4)
	near(t, "Q(1.6276)", KolmogorovQ(1.6276), 0.01, 5e-4)
	// The two series agree where both converge.
	for _, l := range []float64{0.6, 0.8, 1.0, 1.2, 1.5} {
		alt := 0.0
		for j := 1; j <= 200; j++ {
			a := float64(2*j - 1)
			alt += math.Exp(-a * a * math.Pi * math.Pi / (8 * l * l))
		}
		alt = 1 - math.Sqrt(2*math.Pi)/l*alt
		ser := 0.0
		for j := 1; j <= 200; j++ {
			ser += math.Pow(-1, float64(j-1)) * 2 * math.Exp(-2*float64(j*j)*l*l)
		}
		near(t, "theta form", alt, ser, 1e-12)
		near(t, "KolmogorovQ", KolmogorovQ(l), ser, 1e-12)
	}
}

func TestKSPValueCalibrated(t *testing.T) {
	// Under H0 the p-value is (nearly) uniform: about 5% of 400 samples of
	// size 100 reject at 5%. Binomial(400, 0.05) has mean 20, sd 4.4.
	r := rand.New(rand.NewPCG(7, 8))
	rej := 0
	x := make([]float64, 100)
	for rep := 0; rep < 400; rep++ {
		for i := range x {
			x[i] = r.ExpFloat64()
		}
		res, _ := KSExp1(x)
		if res.PValue < 0.05 {
			rej++
		}
	}
	if rej < 7 || rej > 36 {
		t.Errorf("%d of 400 true-null samples rejected at 5%%, want about 20", rej)
	}
	// A 30% rate error is caught with n = 2000.
	y := make([]float64, 2000)
	for i := range y {
		y[i] = r.ExpFloat64() / 1.3
	}
	res, _ := KSExp1(y)
	if res.PValue > 1e-6 {
		t.Errorf("Exp(1.3) sample: p = %g, want tiny", res.PValue)
	}
}

func TestQQ(t *testing.T) {
	x := []float64{3, 1, 2, 0.5}
	q, err := QQExp1(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantE := []float64{0.5, 1, 2, 3}
	for i, p := range q {
		pp := (float64(i) + 0.5) / 4
		near(t, "p", p.P, pp, 1e-15)
		near(t, "theoretical", p.Theoretical, -math.Log(1-pp), 1e-15)
		near(t, "empirical", p.Empirical, wantE[i], 0)
	}
	// Thinned: 3 of 1001 points, the extremes and the median kept.
	big := make([]float64, 1001)
	for i := range big {
		big[i] = float64(i)
	}
	q, _ = QQExp1(big, 3)
	if len(q) != 3 || q[0].Empirical != 0 || q[1].Empirical != 500 || q[2].Empirical != 1000 {
		t.Errorf("thinned QQ: %+v", q)
	}
	// Exp(1) data lie near the diagonal.
	r := rand.New(rand.NewPCG(9, 10))
	e := make([]float64, 20000)
	for i := range e {
		e[i] = r.ExpFloat64()
	}
	q, _ = QQExp1(e, 11)
	for _, p := range q[1 : len(q)-1] {
		if math.Abs(p.Empirical-p.Theoretical) > 0.08*(1+p.Theoretical) {
			t.Errorf("QQ point %+v off the diagonal", p)
		}
	}
}

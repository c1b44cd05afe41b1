package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// TestDgemmPacked checks that a product with a pre-packed op(B) is bit for
// bit Dgemm's, over shapes with partial tiles, several inner blocks
// (k > 256) and several column blocks (n > 2048), every transpose, alpha
// and beta, and padded leading dimensions; on every kernel path.
func TestDgemmPacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	shapes := [][3]int{{1, 1, 1}, {5, 7, 3}, {6, 8, 4}, {13, 17, 9}, {128, 64, 448}, {37, 300, 29}, {7, 2100, 11}, {64, 513, 96}}
	paths(t, func(t *testing.T) {
		asm := useAsm
		for _, sh := range shapes {
			m, k, n := sh[0], sh[1], sh[2]
			for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
					for _, ab := range [][2]float64{{1, 0}, {1, 1}, {-0.5, 2}} {
						lda, ldb, ldc := k+2, n+1, n+3
						if tA == blas.Trans {
							lda = m + 2
						}
						if tB == blas.Trans {
							ldb = k + 1
						}
						ar, br := m, k
						if tA == blas.Trans {
							ar = k
						}
						if tB == blas.Trans {
							br = n
						}
						a := randSlice(rng, ar*lda)
						b := randSlice(rng, br*ldb)
						c0 := randSlice(rng, m*ldc)
						want := append([]float64(nil), c0...)
						Dgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
						buf := make([]float64, PackedLen(k, n))
						p := NewPackedB(tB, k, n, b, ldb, buf)
						for rep := 0; rep < 2; rep++ { // the packed operand is reusable
							got := append([]float64(nil), c0...)
							DgemmPacked(tA, m, ab[0], a, lda, &p, ab[1], got, ldc)
							for i := range got {
								if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
									t.Fatalf("asm=%v m=%d k=%d n=%d tA=%c tB=%c alpha=%g beta=%g: c[%d] = %v, Dgemm gives %v",
										asm, m, k, n, tA, tB, ab[0], ab[1], i, got[i], want[i])
								}
							}
						}
					}
				}
			}
		}
	})
}

// TestPackedCols checks that a product with the first n columns of a
// packed operand (Cols) is bit for bit Dgemm's with those columns alone,
// for every n (partial last panels included), both transposes of B and
// of A, on every kernel path; and that Cols refuses what it cannot view.
func TestPackedCols(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 5))
	paths(t, func(t *testing.T) {
		asm := useAsm
		const m, k, N = 15, 32, 29
		for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			ldb := N + 3
			br := k
			if tB == blas.Trans {
				ldb, br = k+2, N
			}
			b := randSlice(rng, br*ldb)
			full := NewPackedB(tB, k, N, b, ldb, make([]float64, PackedLen(k, N)))
			for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				lda, ar := k+1, m
				if tA == blas.Trans {
					lda, ar = m+1, k
				}
				a := randSlice(rng, ar*lda)
				for n := 0; n <= N; n++ {
					ldc := n + 2
					want := randSlice(rng, m*ldc)
					got := append([]float64(nil), want...)
					Dgemm(tA, tB, m, n, k, 0.7, a, lda, b, ldb, 0, want, ldc)
					v := full.Cols(n)
					DgemmPacked(tA, m, 0.7, a, lda, &v, 0, got, ldc)
					for i := range got {
						if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
							t.Fatalf("asm=%v tA=%c tB=%c n=%d: c[%d] = %v, Dgemm gives %v", asm, tA, tB, n, i, got[i], want[i])
						}
					}
				}
			}
		}
	})
	for _, c := range []struct{ k, n, cols int }{{4, 5, 6}, {4, 5, -1}, {300, 5, 3}, {4, 2100, 3}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Cols(%d) of a %d×%d operand did not panic", c.cols, c.k, c.n)
				}
			}()
			p := NewPackedB(blas.NoTrans, c.k, c.n, make([]float64, c.k*c.n), c.n, make([]float64, PackedLen(c.k, c.n)))
			p.Cols(c.cols)
		}()
	}
}

// TestDgemmPackedAdd checks C = alpha·op(A)·op(B) + S against its
// definition (S copied into C, then DgemmPacked with beta = 1), bit for
// bit, for a bias row (lds = 0), a separate matrix with a padded stride,
// and S being C itself, over shapes with partial tiles and several
// blocks, on every kernel path; C starts as NaN where S is separate.
func TestDgemmPackedAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 2))
	paths(t, func(t *testing.T) {
		asm := useAsm
		for _, sh := range [][3]int{{1, 1, 1}, {5, 7, 3}, {13, 17, 9}, {128, 32, 96}, {37, 300, 29}, {7, 20, 2100}} {
			m, k, n := sh[0], sh[1], sh[2]
			for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				lda, ar := k+1, m
				if tA == blas.Trans {
					lda, ar = m+2, k
				}
				a := randSlice(rng, ar*lda)
				b := randSlice(rng, k*(n+1))
				p := NewPackedB(blas.NoTrans, k, n, b, n+1, make([]float64, PackedLen(k, n)))
				ldc := n + 3
				for _, mode := range []string{"bias", "matrix", "self"} {
					var sm []float64
					lds := 0
					switch mode {
					case "bias":
						sm = randSlice(rng, n)
					case "matrix":
						lds = n + 2
						sm = randSlice(rng, m*lds)
					}
					c0 := randSlice(rng, m*ldc)
					want := append([]float64(nil), c0...)
					if mode != "self" {
						for i := 0; i < m; i++ {
							copy(want[i*ldc:i*ldc+n], sm[i*lds:i*lds+n])
						}
					}
					DgemmPacked(tA, m, 0.75, a, lda, &p, 1, want, ldc)
					got := append([]float64(nil), c0...)
					if mode == "self" {
						sm, lds = got, ldc
					} else {
						for i := 0; i < m; i++ {
							for j := 0; j < n; j++ {
								got[i*ldc+j] = math.NaN()
							}
						}
					}
					DgemmPackedAdd(tA, m, 0.75, a, lda, &p, sm, lds, got, ldc)
					for i := range got {
						if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
							t.Fatalf("asm=%v %s m=%d k=%d n=%d tA=%c: c[%d] = %v, want %v", asm, mode, m, k, n, tA, i, got[i], want[i])
						}
					}
				}
			}
		}
	})
}

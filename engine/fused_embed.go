package engine

import (
	"fmt"

	"gonum.org/v1/gonum/floats"
)

// EmbedProject is the input projection of a recurrent layer whose input is
// a type embedding joined with a few features, [emb(k_i) ‖ f_i]·Wx + b,
// computed without building the joined input: since
// [emb(k) ‖ f]·Wx = emb(k)·Wx[:E] + f·Wx[E:], the caller multiplies the
// embedding table by the top rows of Wx once (table = emb·Wx[:E], [K, N]:
// one small MatMul on the tape, through which the gradients of the
// embedding and of Wx[:E] flow) and EmbedProject returns, for each row i,
//
//	out[i] = table[idx[i]] + feats[i]·wf + bias
//
// with feats [M, F], wf [F, N] (the bottom rows of Wx, e.g. a Rows view of
// the parameter), bias [N] or nil, and M = len(idx). An index < 0
// (padding) takes a zero table row, as Gather does: out[i] =
// feats[i]·wf + bias. Values equal those of
// Linear(Concat(Gather(emb, idx), feats), Wx, b) up to rounding.
//
// The forward pass is one pass over the output (each row a copy of
// table[idx[i]] + bias, precomputed per type, plus F scaled rows of wf).
// The backward pass reads the output's gradient once: it adds each row
// into a per-type sum (the table's gradient, and the bias's as the sum of
// all of them) and, scaled by the row's features, into wf's gradient; the
// features' gradient, when they take one, is one product g·wfᵀ. idx must
// stay unchanged until Backward.
func (t *Tape) EmbedProject(table *Tensor, idx []int, feats, wf, bias *Tensor) *Tensor {
	K, N := table.Rows(), table.Cols()
	M, F := len(idx), feats.Cols()
	if table.nd != 2 || wf.nd != 2 || wf.dims[0] != F || wf.dims[1] != N || feats.Rows() != M || (bias != nil && len(bias.Data) != N) {
		panic(fmt.Sprintf("engine: EmbedProject with table %v, %d indices, feats %v, wf %v, bias %v (want table [K, N], feats [len(idx), F], wf [F, N], bias [N])",
			table.Shape(), M, feats.Shape(), wf.Shape(), shapeOrNil(bias)))
	}
	out := t.newTensor(sh2(M, N), false)
	// base: row k = table[k] + bias, row K = bias (padding)
	base := t.floatsRaw((K + 1) * N)
	pad := base[K*N : (K+1)*N]
	if bias != nil {
		copy(pad, bias.Data)
		for k := 0; k < K; k++ {
			floats.AddTo(base[k*N:(k+1)*N], table.Data[k*N:(k+1)*N], pad)
		}
	} else {
		clear(pad)
		copy(base[:K*N], table.Data)
	}
	for i, k := range idx {
		if k >= K {
			panic(fmt.Sprintf("engine: EmbedProject index %d at %d outside table of %d rows", k, i, K))
		}
		src := pad
		if k >= 0 {
			src = base[k*N : (k+1)*N]
		}
		o := out.Data[i*N : (i+1)*N]
		if F == 0 {
			copy(o, src)
			continue
		}
		f := feats.Data[i*F : (i+1)*F]
		floats.AddScaledTo(o, src, f[0], wf.Data[:N])
		for j := 1; j < F; j++ {
			floats.AddScaled(o, f[j], wf.Data[j*N:(j+1)*N])
		}
	}
	t.record(&Node{kind: opEmbedProject, Out: [4]*Tensor{out}, In: [6]*Tensor{table, feats, wf, bias}, Ints: idx})
	return out
}

func backwardEmbedProject(t *Tape, n *Node) {
	out := n.Out[0]
	table, feats, wf, bias := n.In[0], n.In[1], n.In[2], n.In[3]
	K, N := table.Rows(), table.Cols()
	M, F := len(n.Ints), feats.Cols()
	g := out.Grad[:M*N]
	// per-type sums of the gradient rows (row K: padding rows), needed for
	// the table and the bias
	var acc []float64
	if table.Grad != nil || (bias != nil && bias.Grad != nil) {
		acc = t.Floats((K + 1) * N)
	}
	if acc != nil || wf.Grad != nil {
		for i, k := range n.Ints {
			gi := g[i*N : (i+1)*N]
			if acc != nil {
				if k < 0 {
					k = K
				}
				floats.Add(acc[k*N:(k+1)*N], gi)
			}
			if wf.Grad != nil {
				for j, v := range feats.Data[i*F : (i+1)*F] {
					floats.AddScaled(wf.Grad[j*N:(j+1)*N], v, gi)
				}
			}
		}
	}
	if table.Grad != nil {
		floats.Add(table.Grad[:K*N], acc[:K*N])
	}
	if bias != nil && bias.Grad != nil {
		colSumInto(bias.Grad, acc, K+1, N)
	}
	if feats.Grad != nil {
		gemm(false, true, M, F, N, 1, g, wf.Data, 1, feats.Grad)
	}
}

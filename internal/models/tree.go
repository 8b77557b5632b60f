package models

import (
	"errors"
	"fmt"
	"math"
)

// node is one node of a tree as prediction walks it: 16 bytes, four to a cache line.
type node struct {
	thr  float64 // split threshold (go left when x[feat] <= thr); a leaf's value
	feat int32   // split feature, or -1 for a leaf
	left int32   // index of the left child; the right child is left+1
}

// tree is a binary decision tree. Children always have larger indices than their parent,
// so a walk from the root ends after at most len(nodes) steps.
type tree struct {
	nodes []node
	value []float64 // every node's value: a leaf's output, or what the node would output as a leaf
	count []int32   // training samples that reached each node
}

// newTree starts a tree with its root.
func newTree(rootValue float64, rootCount int32) tree {
	return tree{
		nodes: []node{{thr: rootValue, feat: -1}},
		value: []float64{rootValue},
		count: []int32{rootCount},
	}
}

// addChildren turns leaf id into a split on feat at thr and appends its two children, which
// start as leaves with the given values and counts. It returns the left child's index.
func (t *tree) addChildren(id, feat int, thr float64, lv, rv float64, lc, rc int32) int {
	left := len(t.nodes)
	t.nodes[id] = node{thr: thr, feat: int32(feat), left: int32(left)}
	t.nodes = append(t.nodes, node{thr: lv, feat: -1}, node{thr: rv, feat: -1})
	t.value = append(t.value, lv, rv)
	t.count = append(t.count, lc, rc)
	return left
}

// setLeafValue sets the output of leaf id.
func (t *tree) setLeafValue(id int, v float64) {
	t.nodes[id].thr = v
	t.value[id] = v
}

// predict returns the value of the leaf that row x reaches. The child is chosen by
// arithmetic on the comparison rather than by a branch, which the CPU would mispredict about
// half the time: it compiles to SETcc, and a NaN goes right.
func (t *tree) predict(x []float64) float64 {
	nodes := t.nodes
	i := int32(0)
	for {
		n := &nodes[i]
		if n.feat < 0 {
			return n.thr
		}
		i = n.left + b2i32(!(x[n.feat] <= n.thr))
	}
}

// b2i32 converts a bool to 0 or 1 without a branch.
func b2i32(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// maxDepth reports the depth of the deepest leaf (a lone root has depth 0).
func (t *tree) maxDepth() int {
	depth := make([]int, len(t.nodes))
	deepest := 0
	for i, n := range t.nodes {
		if n.feat >= 0 { // parents come before their children, so depth[i] is final here
			depth[n.left] = depth[i] + 1
			depth[n.left+1] = depth[i] + 1
			deepest = max(deepest, depth[i]+1)
		}
	}
	return deepest
}

// leaves reports the number of leaves.
func (t *tree) leaves() int {
	n := 0
	for _, nd := range t.nodes {
		if nd.feat < 0 {
			n++
		}
	}
	return n
}

// treeJSON is the serialised form of a tree: one array per node attribute, indexed by node.
type treeJSON struct {
	// Feature is the split feature's index, or -1 for a leaf.
	Feature []int32 `json:"feature"`
	// Threshold is the split value (left when x <= threshold); 0 for a leaf.
	Threshold []float64 `json:"threshold"`
	// Left is the left child's index (the right child is Left+1); 0 for a leaf.
	Left []int32 `json:"left"`
	// Value is the node's output: a leaf's contribution, or what an inner node would give.
	Value []float64 `json:"value"`
	// Count is the number of training samples that reached the node.
	Count []int32 `json:"count"`
}

// toJSON converts t to its serialised form.
func (t *tree) toJSON() treeJSON {
	j := treeJSON{
		Feature:   make([]int32, len(t.nodes)),
		Threshold: make([]float64, len(t.nodes)),
		Left:      make([]int32, len(t.nodes)),
		Value:     t.value,
		Count:     t.count,
	}
	for i, n := range t.nodes {
		j.Feature[i] = n.feat
		if n.feat >= 0 {
			j.Threshold[i], j.Left[i] = n.thr, n.left
		}
	}
	return j
}

// errTree marks a structurally invalid serialised tree.
var errTree = errors.New("invalid tree")

// toTree checks a serialised tree against d features and the range [lo, hi] of leaf
// values, and builds it. It never panics, whatever the input.
func (j treeJSON) toTree(d int, lo, hi float64) (tree, error) {
	n := len(j.Feature)
	if n == 0 {
		return tree{}, fmt.Errorf("%w: no nodes", errTree)
	}
	if len(j.Threshold) != n || len(j.Left) != n || len(j.Value) != n || len(j.Count) != n {
		return tree{}, fmt.Errorf("%w: node arrays differ in length", errTree)
	}
	t := tree{nodes: make([]node, n), value: j.Value, count: j.Count}
	parents := make([]uint8, n) // every node but the root has exactly one parent
	for i := range n {
		f, left := j.Feature[i], j.Left[i]
		switch {
		case f == -1:
			v := j.Value[i]
			if math.IsNaN(v) || v < lo || v > hi || j.Threshold[i] != 0 || left != 0 {
				return tree{}, fmt.Errorf("%w: leaf %d: value %v outside [%v, %v] or split fields set", errTree, i, v, lo, hi)
			}
			t.nodes[i] = node{thr: v, feat: -1}
		case f < 0 || int(f) >= d:
			return tree{}, fmt.Errorf("%w: node %d splits on feature %d of %d", errTree, i, f, d)
		case int(left) <= i || int(left) >= n-1:
			return tree{}, fmt.Errorf("%w: node %d has children at %d of %d nodes", errTree, i, left, n)
		case parents[left] != 0 || parents[left+1] != 0:
			return tree{}, fmt.Errorf("%w: node %d shares children with another node", errTree, i)
		default:
			t.nodes[i] = node{thr: j.Threshold[i], feat: f, left: left}
			parents[left], parents[left+1] = 1, 1
		}
	}
	for i := 1; i < n; i++ {
		if parents[i] == 0 {
			return tree{}, fmt.Errorf("%w: node %d is unreachable", errTree, i)
		}
	}
	return t, nil
}

package node

// Caps on the shape of one computation. Each is checked before anything
// that grows with it is allocated, so a hostile request of a few kilobytes
// (a regression 16,000 columns wide, say) costs no more than a valid one.
const (
	// maxRegressors bounds k, a regression's regressors (without y and
	// the intercept): the cross-products grow with k².
	maxRegressors = 100
	// maxColumns bounds dataset.columns.
	maxColumns = maxRegressors + 1
	// maxEdges bounds a histogram's edges (10,000 bins).
	maxEdges = 10_001
	// maxProbabilities bounds the probabilities one list may hold before
	// the node's policy.max_quantiles is applied.
	maxProbabilities = 1000
	// maxLabels bounds the distinct categories of one frequency table or
	// one crosstab column, at a node or in the union of all nodes.
	maxLabels = 100_000
)

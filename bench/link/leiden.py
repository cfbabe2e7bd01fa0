"""python-igraph's Leiden (modularity, weighted) over the pairs bench/link's Rust side wrote:
times it and prints the modularity, for the ratio against ningan-link's Louvain."""
import sys
import time

import igraph as ig

path = sys.argv[1]
t = time.perf_counter()
g = ig.Graph.Read_Ncol(path, weights=True, directed=False)
print(f"igraph: read {g.vcount()} nodes, {g.ecount()} pairs in {time.perf_counter() - t:.1f} s")
t = time.perf_counter()
part = g.community_leiden(objective_function="modularity", weights="weight", n_iterations=-1)
took = time.perf_counter() - t
print(f"leiden: {len(part)} communities, modularity {g.modularity(part, weights='weight'):.4f}, {took:.1f} s")

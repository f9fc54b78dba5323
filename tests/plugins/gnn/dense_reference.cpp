#include "dense_reference.hpp"

#include <cmath>
#include <random>

namespace gnn_test {

namespace {

// Σ_{v ∈ N(u) ∪ {u}} Σ_{v' ∈ N(u') ∪ {u'}} c_u c_u' K(v, v')
arma::mat aggregate(const arma::mat& k, const arma::mat& a1, const arma::mat& a2, bool degree) {
  const arma::uword n1 = a1.n_rows, n2 = a2.n_rows;
  arma::mat out(n1, n2, arma::fill::zeros);
  for (arma::uword u = 0; u < n1; ++u)
    for (arma::uword w = 0; w < n2; ++w) {
      double s = 0, deg_u = 1, deg_w = 1;
      for (arma::uword v = 0; v < n1; ++v) deg_u += a1(u, v);
      for (arma::uword v = 0; v < n2; ++v) deg_w += a2(w, v);
      for (arma::uword v = 0; v < n1; ++v) {
        const double m1 = (v == u ? 1.0 : 0.0) + a1(u, v);
        if (m1 == 0) continue;
        for (arma::uword x = 0; x < n2; ++x) {
          const double m2 = (x == w ? 1.0 : 0.0) + a2(w, x);
          s += m1 * m2 * k(v, x);
        }
      }
      out(u, w) = degree ? s / (deg_u * deg_w) : s;
    }
  return out;
}

struct Run {
  std::vector<arma::mat> sigma_before_relu;  // per ReLU layer
};

}  // namespace

std::pair<double, double> reference_gntk(const ntk::sdk::Graph& g1, const ntk::sdk::Graph& g2,
                                         const Settings& s) {
  const arma::mat a1(g1.adjacency), a2(g2.adjacency);
  // Self kernels give the variances of each node at every ReLU layer.
  auto self_variances = [&](const ntk::sdk::Graph& g, const arma::mat& a) {
    std::vector<arma::vec> out;
    const arma::mat x(g.features);  // the reference works on dense features
    arma::mat sig = x.t() * x;
    for (int b = 0; b < s.blocks; ++b) {
      sig = aggregate(sig, a, a, s.degree);
      for (int r = 0; r < s.mlp_layers; ++r) {
        out.push_back(sig.diag());
        arma::mat next(arma::size(sig));
        for (arma::uword i = 0; i < sig.n_rows; ++i)
          for (arma::uword j = 0; j < sig.n_cols; ++j) {
            const double p = std::sqrt(sig(i, i) * sig(j, j));
            const double c = std::max(-1.0, std::min(1.0, sig(i, j) / p));
            const double theta = std::acos(c);
            next(i, j) = p * (std::sin(theta) + (M_PI - theta) * std::cos(theta)) / M_PI;
          }
        sig = next;
      }
    }
    return out;
  };
  const std::vector<arma::vec> v1 = self_variances(g1, a1), v2 = self_variances(g2, a2);

  arma::mat sig = arma::mat(g1.features).t() * arma::mat(g2.features);
  double jump_sigma = arma::accu(sig), jump_theta = arma::accu(sig);
  arma::mat theta;
  int layer = 0;
  for (int b = 0; b < s.blocks; ++b) {
    sig = aggregate(sig, a1, a2, s.degree);
    theta = b == 0 ? sig : aggregate(theta, a1, a2, s.degree);
    for (int r = 0; r < s.mlp_layers; ++r, ++layer) {
      for (arma::uword i = 0; i < sig.n_rows; ++i)
        for (arma::uword j = 0; j < sig.n_cols; ++j) {
          // 2 E[relu(u) relu(v)] and 2 E[relu'(u) relu'(v)] for (u, v) ~ N(0, [[q1, c], [c, q2]])
          const double q1 = v1[layer](i), q2 = v2[layer](j);
          const double p = std::sqrt(q1 * q2);
          const double c = std::max(-1.0, std::min(1.0, sig(i, j) / p));
          const double angle = std::acos(c);
          const double sigma_next = p * (std::sin(angle) + (M_PI - angle) * c) / M_PI;
          const double derivative = (M_PI - angle) / M_PI;
          theta(i, j) = theta(i, j) * derivative + sigma_next;
          sig(i, j) = sigma_next;
        }
    }
    jump_sigma += arma::accu(sig);
    jump_theta += arma::accu(theta);
  }
  if (s.jumping_knowledge) return {2 * jump_sigma, 2 * jump_theta};
  return {2 * arma::accu(sig), 2 * arma::accu(theta)};
}

ntk::sdk::Graph random_graph(arma::uword nodes, arma::uword features, double edge_probability,
                             std::uint64_t seed, bool one_hot) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  arma::mat a(nodes, nodes, arma::fill::zeros);
  for (arma::uword i = 0; i < nodes; ++i)
    for (arma::uword j = i + 1; j < nodes; ++j)
      if (unit(rng) < edge_probability || j == i + 1) a(i, j) = a(j, i) = 1.0;  // a path plus extras
  ntk::sdk::Graph g;
  g.adjacency = arma::sp_mat(a);
  arma::mat x(features, nodes, arma::fill::zeros);
  for (arma::uword u = 0; u < nodes; ++u) {
    if (one_hot) x(rng() % features, u) = 1.0;
    else
      for (arma::uword k = 0; k < features; ++k) x(k, u) = normal(rng);
  }
  g.features = arma::sp_mat(x);
  return g;
}

}  // namespace gnn_test

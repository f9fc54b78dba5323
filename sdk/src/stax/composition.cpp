// stax::composition (stax.hpp): any layer list as an sdk::Architecture — analytic kernels by
// the engine (KernelProgram) and finite networks as a chain of finite layers with the
// structured empirical NTK.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <sstream>

#include "finite_chain.hpp"
#include "finite_workspace.hpp"
#include "graph_batch.hpp"
#include "layers.hpp"
#include "lazy_network.hpp"
#include "ntk/sdk/network_into.hpp"
#include "ntk/sdk/checks.hpp"
#include "ntk/sdk/stax.hpp"

namespace ntk::sdk::stax {
namespace {

// Nested serials are flattened so that the readout can be found at the top level.
void flatten_serials(const std::vector<LayerPtr>& in, std::vector<LayerPtr>& out) {
  for (const auto& l : in) {
    if (!l) throw_error("composition(): a layer is null");
    if (l->name().rfind("serial(", 0) == 0) flatten_serials(l->children(), out);
    else out.push_back(l);
  }
}

struct Plan {
  std::vector<LayerPtr> layers;
  std::size_t readout = 0;  // index of the last parametrised layer (layers.size() if none)
  CompositionOptions options;

  LayerContext context(std::size_t i, arma::uword width) const {
    LayerContext c;
    c.parametrization = options.parametrization;
    c.width = width;
    c.outputs = options.outputs;
    c.readout = i == readout;
    return c;
  }

  // The input shape of a set of inputs.
  Shape input_shape(const Inputs& x, const std::string& caller) const {
    if (x.kind() == Inputs::Kind::graphs)  // graph layers (stax_graph.hpp) read them
      return Shape::graph(x.graph_list().empty() ? 0 : x.graph_list().front().features.n_rows);
    if (x.kind() == Inputs::Kind::images)
      return Shape::image(x.shape().channels, x.shape().height, x.shape().width);
    if (!options.input_shape.empty()) {
      const auto& s = options.input_shape;
      const Shape shape = Shape::image(arma::uword(s[0]), arma::uword(s[1]), arma::uword(s[2]));
      if (x.dim() != shape.size())
        throw_error(caller, ": the inputs have ", x.dim(), " rows but input_shape {", s[0], ", ",
                    s[1], ", ", s[2], "} needs ", shape.size());
      return shape;
    }
    if (x.dim() == 0) throw_error(caller, ": the inputs have 0 rows");
    return Shape::vector(x.dim());
  }

  std::string describe() const {
    std::ostringstream out;
    out << options.name << ": serial(";
    for (std::size_t i = 0; i < layers.size(); ++i) out << (i ? ", " : "") << layers[i]->name();
    out << "), " << options.outputs << " output(s), "
        << (options.parametrization == Parametrization::ntk ? "NTK" : "standard")
        << " parametrisation";
    if (options.parametrization == Parametrization::standard)
      out << " (analytic width " << options.standard_width << ")";
    if (options.precision == Precision::float32) out << ", float32 image kernels";
    return out.str();
  }
};

class CompositionNetwork : public LazyNetwork, public VjpInto {
 public:
  CompositionNetwork(std::shared_ptr<const Plan> plan, arma::uword width, std::uint64_t seed)
      : LazyNetwork(plan->options.name + " network",
                    "the input shape is not known yet; give input_dim (vectors) or input_shape "
                    "(images) to the architecture, or call forward(x) first"),
        plan_(std::move(plan)), width_(width), seed_(seed) {
    if (width == 0)
      throw_error(plan_->options.name, " network(): width = 0; the hidden width must be a "
                  "positive integer");
    const auto& o = plan_->options;
    if (!o.input_shape.empty())
      materialise(Shape::image(arma::uword(o.input_shape[0]), arma::uword(o.input_shape[1]),
                               arma::uword(o.input_shape[2])));
    else if (o.input_dim > 0)
      materialise(Shape::vector(o.input_dim));
  }

  arma::uword outputs() const override { return plan_->options.outputs; }

  arma::vec trainable_mask() const override {
    require_materialised("trainable_mask()");
    arma::vec mask(params_.n_elem);
    chain_->trainable_mask(mask.memptr());
    if (arma::all(mask == 1.0)) return {};
    return mask;
  }

  // LazyNetwork::set_params's checks and messages, with the finiteness test as one vectorised
  // pass (x − x is NaN exactly for inf and NaN; 3× faster than is_finite(), a training step
  // calls this once per step on all P values). A change invalidates the kept forward pass.
  void set_params(const arma::vec& params) override {
    require_materialised("set_params()");
    if (params.n_elem != params_.n_elem)
      throw_error(name(), " set_params(): got ", params.n_elem, " values, the network has ",
                  params_.n_elem, " parameters");
    const double* x = params.memptr();
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (arma::uword i = 0; i < params.n_elem; ++i) sum += x[i] - x[i];
    if (!(sum == 0))
      throw_error(name(), " set_params(): the vector has non-finite values");
    params_ = params;
    ++generation_;
  }

  // forward, vjp and jvp run in the network's workspace (finite_workspace.hpp): buffers kept
  // between calls, and vjp/jvp after a forward on the same input reuse that pass. A forward
  // on a batch larger than training uses and than kKeepBytes allows runs without keeping its
  // activations (each layer's output freed after the next one has read it).
  arma::mat forward(const Inputs& x) const override {
    const arma::mat& in = checked(x, "forward()");
    if (in.n_cols > trained_columns_ && workspace_bytes(in.n_cols) > kKeepBytes)
      return chain_->forward(params_.memptr(), in, nullptr);
    WorkspaceLease workspace(workspace_);
    return workspace->forward(*chain_, params_.memptr(), generation_, in);
  }

  arma::vec vjp(const Inputs& x, const arma::mat& cotangent) const override {
    arma::vec grad;
    vjp_into(x, cotangent, grad);
    return grad;
  }

  void vjp_into(const Inputs& x, const arma::mat& cotangent, arma::vec& grad) const override {
    const arma::mat& in = checked(x, "vjp()");
    if (cotangent.n_rows != outputs() || cotangent.n_cols != x.size())
      throw_error(name(), " vjp(): the cotangent is ", cotangent.n_rows, " x ", cotangent.n_cols,
                  ", expected k x n = ", outputs(), " x ", x.size());
    if (in.n_cols > trained_columns_) trained_columns_ = in.n_cols;
    WorkspaceLease workspace(workspace_);
    workspace->forward(*chain_, params_.memptr(), generation_, in);
    if (grad.n_elem != params_.n_elem) grad.set_size(params_.n_elem);  // backward_into writes every entry
    chain_->backward_into(params_.memptr(), workspace->cache(), cotangent, 1, grad.memptr(), false);
  }

  arma::mat jvp(const Inputs& x, const arma::vec& tangent) const override {
    const arma::mat& in = checked(x, "jvp()");
    if (tangent.n_elem != params_.n_elem)
      throw_error(name(), " jvp(): the tangent has ", tangent.n_elem,
                  " entries, the network has ", params_.n_elem, " parameters");
    if (in.n_cols > trained_columns_) trained_columns_ = in.n_cols;
    WorkspaceLease workspace(workspace_);
    workspace->forward(*chain_, params_.memptr(), generation_, in);
    return chain_->jvp(params_.memptr(), tangent.memptr(), workspace->cache(), arma::mat());
  }

  // What the workspace holds for n examples: the input copy, and per layer its output, the
  // cached derivative or input and the backward signal (an estimate, 8 bytes a value).
  double workspace_bytes(arma::uword n) const {
    double values = double(chain_input_size());
    for (const auto& layer : chain_->layers()) values += 3.0 * double(layer->output_shape().size());
    return 8.0 * values * double(n);
  }

  // The structured walks keep every layer's input for all n examples (the forward cache) and
  // carry k backward signals per example through the widest layer: estimated before any work,
  // so that a wide network on a whole data set is refused at once instead of after minutes
  // (width 8192 on 10,000 inputs needs several GB of activations, not the n x n result alone).
  void check_walk_memory(const char* method, arma::uword n, arma::uword k) const {
    double cached = double(chain_input_size()), widest = cached;
    for (const auto& layer : chain_->layers()) {
      const double size = double(layer->output_shape().size());
      cached += size;
      widest = std::max(widest, size);
    }
    check_allocation(name() + " " + method + ": the activations of the " + std::to_string(n) +
                         " examples (" + std::to_string(static_cast<long long>(cached)) +
                         " values each over the layers) and their " + std::to_string(k) +
                         " backward signals",
                     double(n), cached + 2.0 * double(k) * widest);
  }
  arma::uword chain_input_size() const { return input_.size(); }

  // Structured: forward over both sets keeping each layer's input, then one backward walk
  // with the k output signals per example; each parametrised layer adds its term (layer.hpp).
  arma::mat ntk(const Inputs& a, const Inputs& b) const override {
    const bool symmetric = &a == &b;
    const arma::mat& xa = checked(a, "ntk()");
    const arma::mat& xb = symmetric ? xa : checked(b, "ntk()");
    const arma::uword n1 = xa.n_cols, n2 = xb.n_cols, k = outputs();
    check_allocation(name() + " ntk(): the " + std::to_string(n1) + " x " + std::to_string(n2) +
                         " NTK and its factors",
                     double(n1), double(n2) * 3);
    check_walk_memory("ntk()", symmetric ? n1 : n1 + n2, k);
    LayerCache ca, cb;
    chain_->forward(params_.memptr(), xa, &ca);
    if (!symmetric) chain_->forward(params_.memptr(), xb, &cb);
    // δ at the output: column i·k + o is e_o.
    arma::mat da = arma::repmat(arma::eye(k, k), 1, n1);
    arma::mat db = symmetric ? arma::mat() : arma::mat(arma::repmat(arma::eye(k, k), 1, n2));
    arma::mat theta(n1, n2, arma::fill::zeros);
    chain_->ntk_backward(params_.memptr(), ca, da, symmetric ? ca : cb, db, k, symmetric, theta,
                         false);
    if (symmetric) layers::mirror_upper(theta);
    if (k > 1) theta /= double(k);
    return theta;
  }

  // All (n1·k) × (n2·k) entries by the same walk (instead of the default J Jᵀ): each example
  // repeated k times, column i·k + o carrying the one signal e_o (r = 1), so each layer's term
  // is ⟨δ(a_i, o), δ(b_j, o')⟩ ⊙ (its feature Gram) for every output pair.
  arma::mat ntk_full(const Inputs& a, const Inputs& b) const override {
    const bool symmetric = &a == &b;
    const arma::mat& xa = checked(a, "ntk_full()");
    const arma::mat& xb = symmetric ? xa : checked(b, "ntk_full()");
    const arma::uword n1 = xa.n_cols, n2 = xb.n_cols, k = outputs();
    check_allocation(name() + " ntk_full(): the (n1*k) x (n2*k) NTK and its factors",
                     double(n1 * k), double(n2 * k) * 3);
    if (k > 1 && chain_->full_ntk_terms()) {
      // Every parametrised layer adds its per-output-pair term (layer.hpp): one walk with the
      // k output signals of each example, as ntk() does, into the (n1·k) × (n2·k) matrix.
      LayerCache ca, cb;
      chain_->forward(params_.memptr(), xa, &ca);
      if (!symmetric) chain_->forward(params_.memptr(), xb, &cb);
      arma::mat da = arma::repmat(arma::eye(k, k), 1, n1);
      arma::mat db = symmetric ? arma::mat() : arma::mat(arma::repmat(arma::eye(k, k), 1, n2));
      arma::mat theta(n1 * k, n2 * k, arma::fill::zeros);
      chain_->ntk_backward(params_.memptr(), ca, da, symmetric ? ca : cb, db, k, symmetric,
                           theta, false);
      if (symmetric) layers::mirror_upper(theta);
      return theta;
    }
    // Otherwise (a layer without the per-output-pair form): the examples repeated k times, one
    // output signal each, so the output-summed terms are the per-pair ones.
    LayerCache ca, cb;
    chain_->forward(params_.memptr(), k == 1 ? xa : arma::mat(arma::repelem(xa, 1, k)), &ca);
    if (!symmetric)
      chain_->forward(params_.memptr(), k == 1 ? xb : arma::mat(arma::repelem(xb, 1, k)), &cb);
    arma::mat da = arma::repmat(arma::eye(k, k), 1, n1);
    arma::mat db = symmetric ? arma::mat() : arma::mat(arma::repmat(arma::eye(k, k), 1, n2));
    arma::mat theta(n1 * k, n2 * k, arma::fill::zeros);
    chain_->ntk_backward(params_.memptr(), ca, da, symmetric ? ca : cb, db, 1, symmetric, theta,
                         false);
    if (symmetric) layers::mirror_upper(theta);
    return theta;
  }

  // One forward pass per example and one backward walk per output (instead of the default's
  // n·k vjps over all n examples): the gradient of a walk sums over its signal columns, so
  // each row of J gets its own walk, on that example's cache.
  arma::mat jacobian(const Inputs& x) const override {
    const auto check_jacobian = [&](arma::uword p) {
      check_allocation(name() + " jacobian(): the (n*k) x P Jacobian (P = " + std::to_string(p) +
                           ")",
                       double(x.size() * outputs()), double(p) * 2);
    };
    const arma::mat& in = checked(x, "jacobian()", check_jacobian);
    const arma::uword n = in.n_cols, k = outputs(), p = params_.n_elem;
    check_jacobian(p);
    arma::mat jt(p, n * k, arma::fill::zeros);  // Jᵀ: column i·k + o, then one transpose
    // Examples are independent (finite layers are const; each walk writes its own columns).
#pragma omp parallel for schedule(dynamic, 1) if (n > 1)
    for (arma::uword i = 0; i < n; ++i) {
      LayerCache cache;
      chain_->forward(params_.memptr(), in.col(i), &cache);
      arma::mat signal(k, 1);
      for (arma::uword o = 0; o < k; ++o) {
        signal.zeros();
        signal(o) = 1.0;
        chain_->backward(params_.memptr(), cache, signal, 1, jt.colptr(i * k + o), false);
      }
    }
    return jt.t();
  }

 private:
  std::string name() const { return plan_->options.name + " network"; }

  // The chain's input: dense inputs and images in place (an alias, no copy); graphs packed one
  // column per graph (graph_batch.hpp), which the graph part unpacks.
  // `before_drawing(P)`, when given, runs between building a lazy network's layers and drawing
  // its P parameters: a request that cannot fit is refused before the (possibly long) draw.
  arma::mat checked(const Inputs& x, const char* caller,
                    const std::function<void(arma::uword)>& before_drawing = {}) const {
    const Shape shape = plan_->input_shape(x, name() + " " + caller);
    if (!materialised()) materialise(shape, before_drawing);
    if (!(shape == input_))
      throw_error(name(), " ", caller, ": the input is ", shape.text(), " x ", x.size(),
                  " but the network was built for ", input_.text());
    if (x.kind() == Inputs::Kind::graphs) return graph::pack_graphs(x, name() + " " + caller);
    check_finite(name() + " " + caller, x.x());
    return arma::mat(const_cast<double*>(x.x().memptr()), x.x().n_rows, x.x().n_cols, false, true);
  }

  void materialise(const Shape& in,
                   const std::function<void(arma::uword)>& before_drawing = {}) const {
    std::vector<std::unique_ptr<FiniteLayer>> finite;
    Shape s = in;
    for (std::size_t i = 0; i < plan_->layers.size(); ++i) {
      const LayerContext c = plan_->context(i, width_);
      checked_output_shape(*plan_->layers[i], s, c, "layer " + std::to_string(i + 1));
      finite.push_back(plan_->layers[i]->instantiate(s, c));
      s = finite.back()->output_shape();
    }
    if (!(s == Shape::vector(plan_->options.outputs)))
      throw_error(name(), ": the composition's output is ", s.text(), " but outputs = ",
                  plan_->options.outputs, "; end it with a dense readout");
    if (before_drawing) {
      FiniteChain structure(std::move(finite), in);
      before_drawing(structure.num_params());
      chain_ = std::make_unique<FiniteChain>(std::move(structure));
    } else {
      chain_ = std::make_unique<FiniteChain>(std::move(finite), in);
    }
    check_allocation(name() + ": the " + std::to_string(chain_->num_params()) + " parameters",
                     double(chain_->num_params()), 1.0);
    arma::vec params(chain_->num_params());
    std::mt19937_64 rng(seed_);
    chain_->init(params.memptr(), rng);
    input_ = in;
    adopt_params(std::move(params));
    ++generation_;
  }

  std::shared_ptr<const Plan> plan_;
  arma::uword width_;
  std::uint64_t seed_;
  mutable std::unique_ptr<FiniteChain> chain_;
  mutable Shape input_;
  // The workspace (finite_workspace.hpp); the parameters' generation, advanced by each change;
  // the largest batch vjp/jvp have seen (forward keeps the workspace for batches up to it).
  static constexpr double kKeepBytes = 256.0 * 1024 * 1024;
  mutable SharedWorkspace workspace_;
  mutable std::uint64_t generation_ = 0;
  mutable std::atomic<arma::uword> trained_columns_{0};
};

class CompositionArchitecture : public Architecture {
 public:
  explicit CompositionArchitecture(std::shared_ptr<const Plan> plan) : plan_(std::move(plan)) {}

  Kernels kernels(const Inputs& a, const Inputs& b, KernelRequest what) const override {
    const std::string caller = plan_->options.name + " kernel()";
    const bool symmetric = &a == &b;
    const Shape sa = plan_->input_shape(a, caller);
    if (!symmetric) {
      const Shape sb = plan_->input_shape(b, caller);
      if (!(sa == sb))
        throw_error(caller, ": inputs have ", a.dim(), " and ", b.dim(), " rows (", sa.text(),
                    " and ", sb.text(), ")");
    }
    KernelProgram program(sa);
    const arma::uword width =
        plan_->options.parametrization == Parametrization::standard ? plan_->options.standard_width : 0;
    for (std::size_t i = 0; i < plan_->layers.size(); ++i)
      program.apply(*plan_->layers[i], plan_->context(i, width), "layer " + std::to_string(i + 1));
    return program.run(a, b, what, plan_->options.precision, caller);
  }

  std::unique_ptr<Network> network(const NetworkSpec& spec) const override {
    return std::make_unique<CompositionNetwork>(plan_, spec.width, spec.seed);
  }
  std::string describe() const override { return plan_->describe(); }
  arma::uword outputs() const override { return plan_->options.outputs; }

 private:
  std::shared_ptr<const Plan> plan_;
};

}  // namespace

std::unique_ptr<Architecture> composition(std::vector<LayerPtr> layers,
                                          const CompositionOptions& options) {
  auto plan = std::make_shared<Plan>();
  flatten_serials(layers, plan->layers);
  plan->options = options;
  if (options.outputs == 0) throw_error(options.name, ": outputs = 0; need at least one output");
  if (options.parametrization == Parametrization::standard && options.standard_width == 0)
    throw_error(options.name, ": parametrization = \"standard\" needs standard_width = N, the "
                "hidden width the analytic kernel assumes");
  if (!options.input_shape.empty()) {
    const auto& s = options.input_shape;
    if (s.size() != 3 || s[0] < 1 || s[1] < 1 || s[2] < 1 || s[0] != std::floor(s[0]) ||
        s[1] != std::floor(s[1]) || s[2] != std::floor(s[2]))
      throw_error(options.name, ": input_shape must be {C, H, W}, three positive whole numbers");
  }
  plan->readout = plan->layers.size();
  for (std::size_t i = plan->layers.size(); i-- > 0;)
    if (plan->layers[i]->parametrised()) {
      plan->readout = i;
      break;
    }
  return std::make_unique<CompositionArchitecture>(std::move(plan));
}

}  // namespace ntk::sdk::stax

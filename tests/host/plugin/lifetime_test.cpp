// A plugin's library stays loaded exactly as long as something it made is alive.
#include <dlfcn.h>

#include <catch2/catch.hpp>
#include <string>

#include "plugin/registry.hpp"

namespace {

const std::string linear_path = std::string(NTK_GOOD_PLUGINS) + "/ntk_linear.so";

// Whether the dynamic loader has the file mapped (RTLD_NOLOAD never loads it).
bool is_loaded(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);  // NOLOAD took a reference too
  return true;
}

// The toy's closed form (linear_toy.hpp) for w_std = 1, b_std = 0.3 on two inputs.
arma::mat toy_ntk(const arma::mat& x) {
  const arma::mat nngp1 = x.t() * x / double(x.n_rows) + 0.09;
  return nngp1 + (nngp1 + 0.09);
}

}  // namespace

TEST_CASE("the library is unloaded when nothing refers to it", "[plugin]") {
  {
    ntk::host::PluginRegistry registry;
    registry.load(linear_path);
    CHECK(is_loaded(linear_path));
  }
  CHECK_FALSE(is_loaded(linear_path));
}

TEST_CASE("architecture and network outlive the registry and keep the library loaded",
          "[plugin]") {
  std::shared_ptr<ntk::sdk::Architecture> architecture;
  {
    ntk::host::PluginRegistry registry;
    registry.load(linear_path);
    architecture = registry.make("linear", {{"input_dim", 2.0}});
  }
  REQUIRE(is_loaded(linear_path));

  const arma::mat x = {{1.0, 0.5}, {-2.0, 3.0}};
  const auto inputs = ntk::sdk::Inputs::dense(x);
  const auto kernels = architecture->kernels(inputs, inputs, {true, true});
  CHECK(arma::approx_equal(kernels.ntk, toy_ntk(x), "reldiff", 1e-14));

  auto network = ntk::host::make_network(architecture, {8, 3});
  architecture.reset();
  REQUIRE(is_loaded(linear_path));  // the network's deleter holds the architecture
  const arma::mat f = network->forward(inputs);
  CHECK(f.n_rows == 1);
  CHECK(f.n_cols == 2);
  CHECK(f.is_finite());

  network.reset();
  CHECK_FALSE(is_loaded(linear_path));
}

TEST_CASE("make_network() refuses a null architecture", "[plugin]") {
  CHECK_THROWS_WITH(ntk::host::make_network(nullptr, {8, 1}),
                    "make_network(): no architecture given");
}

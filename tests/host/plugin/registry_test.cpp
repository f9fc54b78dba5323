// The loader's error paths, one precise message per case, on deliberately broken plugins built
// by this folder's CMakeLists.txt; discovery and the default directories.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "plugin/registry.hpp"

using ntk::host::PluginRegistry;
namespace fs = std::filesystem;

namespace {

const std::string good = NTK_GOOD_PLUGINS;
const std::string broken = NTK_BROKEN_PLUGINS;

std::string load_error(PluginRegistry& registry, const std::string& path) {
  try {
    registry.load(path);
  } catch (const ntk::Error& e) {
    return e.what();
  }
  return "no error";
}

std::string host_sdk() {
  return std::to_string(NTK_SDK_VERSION_MAJOR) + "." + std::to_string(NTK_SDK_VERSION_MINOR);
}

}  // namespace

TEST_CASE("a valid plugin loads with its info and SDK version", "[plugin]") {
  PluginRegistry registry;
  const auto& plugin = registry.load(good + "/ntk_linear.so");
  CHECK(plugin.info.name == "linear");
  CHECK(plugin.info.version == "0.1.0");
  CHECK(plugin.info.options.size() == 4);
  CHECK(plugin.sdk_version.major == NTK_SDK_VERSION_MAJOR);
  CHECK(plugin.sdk_version.minor == NTK_SDK_VERSION_MINOR);
  CHECK(std::string(plugin.sdk_version.abi_tag) == NTK_SDK_ABI_TAG);
  CHECK(plugin.path == good + "/ntk_linear.so");
  CHECK(plugin.conformance == nullptr);
  CHECK(&registry.find("linear") == &plugin);
  // The same file reached twice is one plugin, not a duplicate.
  CHECK(&registry.load(good + "/../good_plugins/ntk_linear.so") == &plugin);
  CHECK(registry.list().size() == 1);
}

TEST_CASE("a plugin's own conformance inputs are found", "[plugin]") {
  PluginRegistry registry;
  const auto& plugin = registry.load(good + "/ntk_linear_sampled.so");
  REQUIRE(plugin.conformance != nullptr);
  REQUIRE(plugin.conformance->sample_inputs != nullptr);
  const auto inputs = plugin.conformance->sample_inputs({{"input_dim", 3.0}}, 4, 1);
  CHECK(inputs.dim() == 3);
  CHECK(inputs.size() == 4);
  CHECK(arma::approx_equal(inputs.x(), ntk::sdk::dense_gaussian_inputs(3, 4, 1).x(), "absdiff", 0.0));
}

TEST_CASE("loader error: file not found", "[plugin]") {
  PluginRegistry registry;
  const std::string path = good + "/ntk_does_not_exist.so";
  CHECK(load_error(registry, path) == "cannot load plugin " + path + ": file not found");
}

TEST_CASE("loader error: a file that is not a shared library", "[plugin]") {
  const fs::path dir = fs::temp_directory_path() / ("ntk_plugin_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "ntk_garbage.so").string();
  std::ofstream(path) << "this is not an ELF file\n";
  PluginRegistry registry;
  const std::string message = load_error(registry, path);
  CHECK_THAT(message, Catch::StartsWith("cannot load plugin " + path + ": "));
  CHECK_THAT(message, Catch::Contains("ELF") || Catch::Contains("too short"));
  fs::remove_all(dir);
}

TEST_CASE("loader error: not an ntklab plugin (entry symbols missing)", "[plugin]") {
  PluginRegistry registry;
  const std::string path = broken + "/ntk_no_entry.so";
  CHECK(load_error(registry, path) ==
        path + " is not an ntklab plugin: it exports no 'ntklab_sdk_version'");
}

TEST_CASE("loader error: an undefined symbol is reported at load, demangled, with the path",
          "[plugin]") {
  PluginRegistry registry;
  const std::string path = broken + "/ntk_undefined.so";
  const std::string message = load_error(registry, path);
  CHECK_THAT(message, Catch::StartsWith("cannot load plugin " + path +
                                        ": undefined symbol ntk_test_missing::missing_kernel_rule("
                                        "int) (_ZN16ntk_test_missing19missing_kernel_ruleEi): "));
  CHECK_THAT(message, Catch::Contains("rebuild the plugin against this SDK"));
  CHECK(registry.list().empty());
}

TEST_CASE("loader error: SDK major mismatch names both versions", "[plugin]") {
  PluginRegistry registry;
  const std::string path = broken + "/ntk_wrong_major.so";
  const std::string message = load_error(registry, path);
  CHECK_THAT(message, Catch::StartsWith("plugin " + path + " was built for SDK " +
                                        std::to_string(NTK_SDK_VERSION_MAJOR + 1) +
                                        ".0, this host is SDK " + host_sdk()));
  CHECK_THAT(message, Catch::Contains("major versions must be equal"));
}

TEST_CASE("loader error: SDK minor newer than the host", "[plugin]") {
  PluginRegistry registry;
  const std::string path = broken + "/ntk_newer_minor.so";
  const std::string message = load_error(registry, path);
  CHECK_THAT(message, Catch::StartsWith("plugin " + path + " was built for SDK " +
                                        std::to_string(NTK_SDK_VERSION_MAJOR) + "." +
                                        std::to_string(NTK_SDK_VERSION_MINOR + 1) +
                                        ", this host is SDK " + host_sdk()));
  CHECK_THAT(message, Catch::Contains("minor version may not be newer"));
}

TEST_CASE("loader error: ABI tag mismatch", "[plugin]") {
  PluginRegistry registry;
  const std::string path = broken + "/ntk_wrong_abi.so";
  CHECK(load_error(registry, path) == "plugin " + path +
                                          " has ABI tag other-compiler/armadillo-0.0, this host has " +
                                          NTK_SDK_ABI_TAG + " (rebuild the plugin)");
}

TEST_CASE("loader error: duplicate name names both paths and the rule (first loaded wins)",
          "[plugin]") {
  PluginRegistry registry;
  const std::string a = broken + "/ntk_twin_a.so", b = broken + "/ntk_twin_b.so";
  registry.load(a);
  CHECK(load_error(registry, b) == "duplicate plugin name 'twin': " + a + " and " + b +
                                       "; using " + a +
                                       " (the first one loaded wins; rename or remove the other)");
  CHECK(registry.list().size() == 1);
  CHECK(registry.find("twin").path == a);
}

TEST_CASE("loader error: the factory threw, with its message", "[plugin]") {
  PluginRegistry registry;
  const std::string path = broken + "/ntk_throwing.so";
  registry.load(path);  // loading is fine: only making an architecture fails
  try {
    registry.make("throwing", {});
    FAIL("make() did not throw");
  } catch (const ntk::Error& e) {
    CHECK(std::string(e.what()) == "plugin 'throwing' (" + path +
                                       "): creating the architecture failed: throwing plugin: "
                                       "this factory always fails");
  }
}

TEST_CASE("make() with an unknown option lists the known ones", "[plugin]") {
  PluginRegistry registry;
  registry.load(good + "/ntk_linear.so");
  try {
    registry.make("linear", {{"depth", 3.0}});
    FAIL("make() did not throw");
  } catch (const ntk::Error& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::StartsWith("plugin 'linear' (" + good + "/ntk_linear.so): "
                                          "creating the architecture failed: "));
    CHECK_THAT(message, Catch::EndsWith("unknown option 'depth'; known options are: w_std, b_std, "
                                        "outputs, input_dim"));
  }
  // A wrong type is named too.
  CHECK_THROWS_WITH(registry.make("linear", {{"w_std", std::string("big")}}),
                    Catch::Contains("option 'w_std' is a string"));
}

TEST_CASE("find() of an unknown name lists the loaded plugins and searched directories",
          "[plugin]") {
  PluginRegistry registry;
  registry.discover({good});
  CHECK_THROWS_WITH(registry.find("cnn"),
                    Catch::StartsWith("no plugin named 'cnn'; loaded plugins are: linear, "
                                      "linear_sampled, linear_wrong (searched " + good));
  PluginRegistry empty;
  CHECK_THROWS_WITH(empty.find("fc"), "no plugin named 'fc'; no plugins are loaded");
}

TEST_CASE("discover() loads what it can and collects one message per broken file", "[plugin]") {
  PluginRegistry registry;
  const auto report = registry.discover({"/nonexistent/ntk/dir", broken, good});
  const auto& errors = report.errors;
  // ntk_no_entry, ntk_newer_minor, ntk_twin_b (duplicate), ntk_undefined, ntk_wrong_abi,
  // ntk_wrong_major
  REQUIRE(errors.size() == 6);
  const auto has = [&](const std::string& text) {
    for (const auto& e : errors)
      if (e.find(text) != std::string::npos) return true;
    return false;
  };
  CHECK(has(broken + "/ntk_no_entry.so is not an ntklab plugin"));
  CHECK(has("plugin " + broken + "/ntk_newer_minor.so was built for SDK"));
  CHECK(has("plugin " + broken + "/ntk_wrong_major.so was built for SDK"));
  CHECK(has("plugin " + broken + "/ntk_wrong_abi.so has ABI tag"));
  CHECK(has("duplicate plugin name 'twin': " + broken + "/ntk_twin_a.so and " + broken +
            "/ntk_twin_b.so; using " + broken + "/ntk_twin_a.so"));
  CHECK(has("cannot load plugin " + broken + "/ntk_undefined.so: undefined symbol "
            "ntk_test_missing::missing_kernel_rule(int)"));
  CHECK(report.warnings ==
        std::vector<std::string>{"plugin directory /nonexistent/ntk/dir does not exist"});
  std::vector<std::string> names;
  for (const auto* p : registry.list()) names.push_back(p->info.name);
  CHECK(names ==
        std::vector<std::string>{"throwing", "twin", "linear", "linear_sampled", "linear_wrong"});
}

TEST_CASE("discover() warns about directories that do not exist or hold no plugin", "[plugin]") {
  const fs::path dir = fs::temp_directory_path() / ("ntk_plugin_dirs_" + std::to_string(getpid()));
  fs::create_directories(dir / "empty");
  std::ofstream(dir / "ntk_a_file") << "not a directory\n";
  std::ofstream(dir / "empty" / "libntk_other.so") << "not a plugin file name\n";
  const std::string missing = (dir / "missing").string(), empty = (dir / "empty").string(),
                    file = (dir / "ntk_a_file").string();
  PluginRegistry registry;
  const auto report = registry.discover({missing, empty, file, good});
  fs::remove_all(dir);
  CHECK(report.errors.empty());
  CHECK(report.warnings ==
        std::vector<std::string>{
            "plugin directory " + missing + " does not exist",
            "plugin directory " + empty + " holds no plugin (plugins are files named ntk_*.so)",
            "plugin directory " + file +
                " is not a directory (give the folder that holds ntk_*.so)"});
  // The directories that are fine still load.
  CHECK(registry.list().size() == 3);
}

TEST_CASE("find() of a plugin whose file did not load says why", "[plugin]") {
  PluginRegistry registry;
  registry.discover({broken});
  CHECK_THROWS_WITH(registry.find("undefined"),
                    Catch::StartsWith("no plugin named 'undefined'; loaded plugins are: ") &&
                        Catch::Contains("; cannot load plugin " + broken +
                                        "/ntk_undefined.so: undefined symbol "
                                        "ntk_test_missing::missing_kernel_rule(int)"));
}

TEST_CASE("default plugin directories: build, NTKLAB_BUILD_DIR, NTKLAB_PLUGIN_PATH, extra",
          "[plugin]") {
  const char* old_path = std::getenv("NTKLAB_PLUGIN_PATH");
  const std::string saved = old_path != nullptr ? old_path : "";
  setenv("NTKLAB_PLUGIN_PATH", "/tmp/ntk_a::/tmp/ntk_b/", 1);
  const auto dirs = ntk::host::default_plugin_directories({"/tmp/ntk_c", "/tmp/ntk_a"});
  if (old_path != nullptr) setenv("NTKLAB_PLUGIN_PATH", saved.c_str(), 1);
  else unsetenv("NTKLAB_PLUGIN_PATH");

  // This test program lives in build/tests, so ../plugins is the build's plugin folder.
  const fs::path exe = fs::read_symlink("/proc/self/exe");
  REQUIRE(dirs.size() >= 4);
  CHECK(dirs[0] == fs::weakly_canonical(exe.parent_path().parent_path() / "plugins").string());
  if (const char* build = std::getenv("NTKLAB_BUILD_DIR")) {
    const std::string from_env = fs::weakly_canonical(fs::path(build) / "plugins").string();
    CHECK(std::find(dirs.begin(), dirs.end(), from_env) != dirs.end());
  }
  // The tail: NTKLAB_PLUGIN_PATH in order (empty entries skipped), then extra, duplicates dropped.
  const std::vector<std::string> tail(dirs.end() - 3, dirs.end());
  CHECK(tail == std::vector<std::string>{"/tmp/ntk_a", "/tmp/ntk_b", "/tmp/ntk_c"});
}

// Plugins load on demand (index + load_needed: only ntk_NAME.so for ntk.arch("NAME")), and
// directories or files others may write to are skipped with a message (unsafe_to_load).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "plugin/registry.hpp"
#include "plugin/registry_source.hpp"

using ntk::host::PluginRegistry;
namespace fs = std::filesystem;

namespace {

const std::string good = NTK_GOOD_PLUGINS;
const std::string broken = NTK_BROKEN_PLUGINS;

// A folder holding a copy of ntk_linear.so, with the modes given.
struct PluginFolder {
  fs::path dir = fs::temp_directory_path() / ("ntk_on_demand_" + std::to_string(::getpid()));
  PluginFolder(unsigned dir_mode, unsigned file_mode) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::copy_file(good + "/ntk_linear.so", dir / "ntk_linear.so");
    ::chmod((dir / "ntk_linear.so").c_str(), file_mode);
    ::chmod(dir.c_str(), dir_mode);
  }
  ~PluginFolder() {
    std::error_code ec;
    ::chmod(dir.c_str(), 0755);
    fs::remove_all(dir, ec);
  }
};

}  // namespace

TEST_CASE("index() loads nothing; ntk.arch loads only ntk_NAME.so", "[plugin]") {
  PluginRegistry registry;
  // The broken folder holds files that fail to load (undefined symbols, wrong SDK, a throwing
  // info()): indexing them runs none of their code and reports nothing.
  const auto report = registry.index({broken, good});
  CHECK(report.errors.empty());
  CHECK(report.skipped.empty());
  CHECK(registry.list().empty());

  ntk::host::RegistrySource source(registry);
  const auto architecture = source.make("linear", {});
  REQUIRE(architecture != nullptr);
  REQUIRE(registry.list().size() == 1);
  CHECK(registry.list()[0]->path == good + "/ntk_linear.so");

  // A name with no file: the message names the missing file and the files there are.
  CHECK_THROWS_WITH(source.make("cnn", {}),
                    Catch::Contains("no file ntk_cnn.so among the plugin files (") &&
                        Catch::Contains("ntk_linear_sampled.so"));
  CHECK(registry.list().size() == 1);

  // A file that fails to load is reported when needed, and only then.
  CHECK_THROWS_WITH(source.make("undefined", {}),
                    Catch::Contains(broken + "/ntk_undefined.so: undefined symbol"));

  // ntk.plugins() lists everything: every indexed file is tried.
  const auto listed = source.list();
  // linear (already loaded), throwing, twin (ntk_twin_b is a duplicate), linear_sampled,
  // linear_wrong; the others fail to load (wrong SDK, no entry point).
  CHECK(listed.size() == 5);
}

TEST_CASE("plugin folders and files others may write to are skipped, with the reason",
          "[plugin]") {
  struct Case {
    unsigned dir_mode, file_mode;
    std::string message;  // "" when the plugin loads
  };
  const std::vector<Case> cases = {
      {0777, 0755, "is writable by every user (mode 0777)"},
      {01777, 0755, "is writable by every user (mode 1777)"},  // sticky: still anyone may add
      {0775, 0755, "is writable by its group (mode 0775)"},
      {0755, 0666, "plugin file skipped: "},
      {0755, 0755, ""},
  };
  for (const Case& c : cases) {
    INFO("dir " << std::oct << c.dir_mode << " file " << c.file_mode);
    PluginFolder folder(c.dir_mode, c.file_mode);
    for (const bool lazy : {false, true}) {
      PluginRegistry registry;
      auto report = lazy ? registry.index({folder.dir.string()})
                         : registry.discover({folder.dir.string()});
      if (lazy) registry.load_needed("linear");
      if (c.message.empty()) {
        CHECK(report.skipped.empty());
        CHECK(registry.list().size() == 1);
        continue;
      }
      CHECK(registry.list().empty());
      if (c.file_mode == 0755 || !lazy) {
        REQUIRE(report.skipped.size() == 1);
        CHECK_THAT(report.skipped[0], Catch::Contains(c.message));
      } else {  // a file refused on demand: find() tells why
        CHECK_THROWS_WITH(registry.find("linear"), Catch::Contains(c.message));
      }
    }
  }
}

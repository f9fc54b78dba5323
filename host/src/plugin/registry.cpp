// Loading one plugin file, version checks, lookup and the architecture factory.
//
// Order matters: the plain C record `ntklab_sdk_version` is read and checked before any C++
// type of the plugin (PluginInfo, Architecture) is touched, because a plugin built against
// another SDK or compiler may lay those out differently.
#include <cxxabi.h>
#include <dlfcn.h>

#include <boost/dll/shared_library.hpp>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "plugin/registry.hpp"

namespace ntk::host {
namespace {

constexpr const char* kVersionSymbol = "ntklab_sdk_version";
constexpr const char* kEntrySymbol = "ntklab_plugin_entry";
constexpr const char* kConformanceSymbol = "ntklab_conformance_entry";

std::string canonical_or_given(const std::string& path) {
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

// The symbol in the loader's "undefined symbol: NAME[, version V]" message, demangled when it is
// a C++ name (abi::__cxa_demangle), else as given; empty when the message is about something else.
std::string undefined_symbol(const std::string& reason) {
  const std::string marker = "undefined symbol: ";
  const std::size_t at = reason.find(marker);
  if (at == std::string::npos) return "";
  const std::size_t start = at + marker.size();
  const std::size_t end = std::min(reason.find_first_of(", \t\n", start), reason.size());
  const std::string mangled = reason.substr(start, end - start);
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), std::free);
  if (status != 0 || demangled == nullptr) return mangled;
  return std::string(demangled.get()) + " (" + mangled + ")";
}

std::shared_ptr<boost::dll::shared_library> open_library(const std::string& path) {
  std::error_code exists_ec;
  if (!std::filesystem::exists(path, exists_ec))
    throw_error("cannot load plugin ", path, ": file not found");
  if (std::filesystem::is_directory(path, exists_ec))
    throw_error("cannot load plugin ", path, ": it is a directory, not a shared library");

  auto library = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code ec;
  // rtld_now: every symbol is bound here, so a plugin that needs a function nothing provides
  // fails to load with its name, instead of crashing the run the first time the function is
  // called. rtld_local: two plugins may define the same internal symbols without clashing.
  library->load(path, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  if (ec) {
    const char* loader_message = dlerror();  // Boost.DLL leaves the loader's own message in place
    const std::string reason = loader_message != nullptr ? loader_message : ec.message();
    const std::string symbol = undefined_symbol(reason);
    if (!symbol.empty())
      throw_error("cannot load plugin ", path, ": undefined symbol ", symbol,
                  ": the plugin uses it, but neither the plugin nor a library it links defines "
                  "it (rebuild the plugin against this SDK with ntk_add_plugin)");
    throw_error("cannot load plugin ", path, ": ", reason);
  }
  return library;
}

void check_sdk_version(const std::string& path, const sdk::SdkVersion& v) {
  const sdk::SdkVersion& host = sdk::kSdkVersion;
  if (v.major != host.major)
    throw_error("plugin ", path, " was built for SDK ", v.major, ".", v.minor,
                ", this host is SDK ", host.major, ".", host.minor,
                " (the major versions must be equal; rebuild the plugin against this SDK)");
  if (v.minor > host.minor)
    throw_error("plugin ", path, " was built for SDK ", v.major, ".", v.minor,
                ", this host is SDK ", host.major, ".", host.minor,
                " (a plugin's minor version may not be newer than the host's; update ntklab)");
  const char* tag = v.abi_tag != nullptr ? v.abi_tag : "(none)";
  if (std::strcmp(tag, host.abi_tag) != 0)
    throw_error("plugin ", path, " has ABI tag ", tag, ", this host has ", host.abi_tag,
                " (rebuild the plugin)");
}

}  // namespace

const LoadedPlugin& PluginRegistry::load(const std::string& path) {
  const std::string canonical = canonical_or_given(path);
  // The same file reached twice (e.g. through NTKLAB_PLUGIN_PATH and build/plugins) is one plugin.
  for (const auto& p : plugins_)
    if (canonical_or_given(p->path) == canonical) return *p;

  auto library = open_library(path);
  if (!library->has(kVersionSymbol))
    throw_error(path, " is not an ntklab plugin: it exports no '", kVersionSymbol, "'");
  if (!library->has(kEntrySymbol))
    throw_error(path, " is not an ntklab plugin: it exports no '", kEntrySymbol, "'");

  auto plugin = std::make_unique<LoadedPlugin>();
  plugin->path = path;
  plugin->sdk_version = library->get<const sdk::SdkVersion>(kVersionSymbol);
  check_sdk_version(path, plugin->sdk_version);
  plugin->entry = &library->get<const sdk::PluginEntry>(kEntrySymbol);
  if (plugin->entry->info == nullptr || plugin->entry->make == nullptr)
    throw_error(path, " is not an ntklab plugin: its '", kEntrySymbol, "' has a null function");
  if (library->has(kConformanceSymbol))
    plugin->conformance = &library->get<const sdk::ConformanceEntry>(kConformanceSymbol);

  // The message is copied out before the library can be unloaded: the exception object's
  // code may live in the plugin.
  std::string failure;
  try {
    plugin->info = plugin->entry->info();
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an exception that is not a std::exception";
  }
  if (!failure.empty()) throw_error("plugin ", path, ": reading its info failed: ", failure);
  if (plugin->info.name.empty()) throw_error("plugin ", path, " declares an empty name");

  for (const auto& p : plugins_)
    if (p->info.name == plugin->info.name)
      throw_error("duplicate plugin name '", plugin->info.name, "': ", p->path, " and ", path,
                  "; using ", p->path, " (the first one loaded wins; rename or remove the other)");

  plugin->library = std::move(library);
  plugins_.push_back(std::move(plugin));
  return *plugins_.back();
}

const LoadedPlugin& PluginRegistry::find(const std::string& name) const {
  for (const auto& p : plugins_)
    if (p->info.name == name) return *p;
  std::ostringstream out;
  out << "no plugin named '" << name << "'; ";
  if (plugins_.empty()) {
    out << "no plugins are loaded";
  } else {
    out << "loaded plugins are: ";
    for (std::size_t i = 0; i < plugins_.size(); ++i)
      out << (i ? ", " : "") << plugins_[i]->info.name;
  }
  if (!indexed_.empty()) {  // index(): files are loaded by name, ntk_NAME.so
    out << "; no file ntk_" << name << ".so among the plugin files (";
    for (std::size_t i = 0; i < indexed_.size(); ++i)
      out << (i ? ", " : "") << std::filesystem::path(indexed_[i]).filename().string();
    out << ")";
  }
  if (!searched_.empty()) {
    out << " (searched ";
    for (std::size_t i = 0; i < searched_.size(); ++i) out << (i ? ", " : "") << searched_[i];
    out << "; add directories with --plugin-path or NTKLAB_PLUGIN_PATH)";
  }
  // The file that would have been the plugin, if discovery could not load it.
  const std::string file_name = "ntk_" + name + ".so";
  for (const auto& [path, reason] : failed_)
    if (std::filesystem::path(path).filename() == file_name) out << "; " << reason;
  throw Error(out.str());
}

std::vector<const LoadedPlugin*> PluginRegistry::list() const {
  std::vector<const LoadedPlugin*> out;
  for (const auto& p : plugins_) out.push_back(p.get());
  return out;
}

std::shared_ptr<sdk::Architecture> PluginRegistry::make(const std::string& name,
                                                        const sdk::Options& options) const {
  const LoadedPlugin& plugin = find(name);
  std::unique_ptr<sdk::Architecture> made;
  std::string failure;
  try {
    made = plugin.entry->make(options);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an exception that is not a std::exception";
  }
  if (failure.empty() && !made) failure = "the factory returned no architecture";
  if (!failure.empty())
    throw_error("plugin '", name, "' (", plugin.path, "): creating the architecture failed: ",
                failure);
  // The deleter runs the plugin's destructor, then drops its hold on the library.
  std::shared_ptr<boost::dll::shared_library> library = plugin.library;
  return std::shared_ptr<sdk::Architecture>(
      made.release(), [library](sdk::Architecture* architecture) { delete architecture; });
}

std::shared_ptr<sdk::Network> make_network(std::shared_ptr<const sdk::Architecture> architecture,
                                           const sdk::NetworkSpec& spec) {
  if (!architecture) throw_error("make_network(): no architecture given");
  std::unique_ptr<sdk::Network> made = architecture->network(spec);
  if (!made) throw_error("make_network(): the architecture returned no network");
  return std::shared_ptr<sdk::Network>(
      made.release(), [architecture](sdk::Network* network) { delete network; });
}

}  // namespace ntk::host

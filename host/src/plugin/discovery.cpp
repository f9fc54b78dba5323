// Finding plugin files: which directories, and which files in them (ntk_*.so).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "plugin/registry.hpp"

namespace ntk::host {
namespace fs = std::filesystem;
namespace {

bool is_plugin_file_name(const std::string& name) {
  return name.size() > 7 && name.rfind("ntk_", 0) == 0 &&
         name.compare(name.size() - 3, 3, ".so") == 0;
}

// The directory of the running executable (/proc/self/exe), or empty.
fs::path executable_directory() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

}  // namespace

std::string unsafe_to_load(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return "";  // missing: reported elsewhere
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
  if (info.st_mode & S_IWOTH) return path + " is writable by every user (mode " + mode + ")";
  if (info.st_mode & S_IWGRP) return path + " is writable by its group (mode " + mode + ")";
  if (info.st_uid != ::getuid() && info.st_uid != 0)
    return path + " belongs to another user (uid " + std::to_string(info.st_uid) + ")";
  return "";
}

std::vector<std::string> PluginRegistry::plugin_files(const std::string& directory,
                                                      DiscoveryReport& report) {
  searched_.push_back(directory);
  std::error_code ec;
  if (!fs::exists(directory, ec)) {
    report.warnings.push_back("plugin directory " + directory + " does not exist");
    return {};
  }
  if (!fs::is_directory(directory, ec)) {
    report.warnings.push_back("plugin directory " + directory +
                              " is not a directory (give the folder that holds ntk_*.so)");
    return {};
  }
  if (const std::string why = unsafe_to_load(directory); !why.empty()) {
    report.skipped.push_back("plugin directory skipped: " + why +
                             "; others could place code there (chmod go-w it)");
    return {};
  }
  std::vector<std::string> files;
  for (const auto& item : fs::directory_iterator(directory, ec)) {
    const std::string name = item.path().filename().string();
    if (is_plugin_file_name(name) && !item.is_directory()) files.push_back(item.path().string());
  }
  if (ec) {
    report.errors.push_back("cannot list plugin directory " + directory + ": " + ec.message());
    return {};
  }
  if (files.empty())
    report.warnings.push_back("plugin directory " + directory +
                              " holds no plugin (plugins are files named ntk_*.so)");
  // Sorted, so "first one wins" on duplicate names does not depend on the file system.
  std::sort(files.begin(), files.end());
  return files;
}

void PluginRegistry::try_load(const std::string& file, DiscoveryReport* report) {
  std::string error;
  if (const std::string why = unsafe_to_load(file); !why.empty()) {
    error = "plugin file skipped: " + why + "; others could replace it (chmod go-w it)";
    if (report != nullptr) report->skipped.push_back(error);
  } else {
    try {
      load(file);
      return;
    } catch (const std::exception& e) {
      error = e.what();
      if (report != nullptr) report->errors.push_back(error);
    }
  }
  failed_.emplace_back(file, error);
}

DiscoveryReport PluginRegistry::discover(const std::vector<std::string>& directories) {
  DiscoveryReport report;
  for (const auto& directory : directories)
    for (const auto& file : plugin_files(directory, report)) try_load(file, &report);
  return report;
}

DiscoveryReport PluginRegistry::index(const std::vector<std::string>& directories) {
  DiscoveryReport report;
  for (const auto& directory : directories)
    for (const auto& file : plugin_files(directory, report)) indexed_.push_back(file);
  return report;
}

void PluginRegistry::load_needed(const std::string& name) {
  for (const auto& p : plugins_)
    if (p->info.name == name) return;
  const std::string file_name = "ntk_" + name + ".so";
  for (auto it = indexed_.begin(); it != indexed_.end(); ++it) {
    if (fs::path(*it).filename() != file_name) continue;
    const std::string file = *it;
    indexed_.erase(it);
    try_load(file, nullptr);
    return;
  }
}

void PluginRegistry::load_all_indexed() {
  const std::vector<std::string> files = std::move(indexed_);
  indexed_.clear();
  for (const auto& file : files) try_load(file, nullptr);
}

std::vector<std::string> default_plugin_directories(const std::vector<std::string>& extra) {
  std::vector<std::string> candidates;
  // A build puts the executable in build/bin and the plugins in build/plugins.
  const fs::path exe_dir = executable_directory();
  if (!exe_dir.empty()) candidates.push_back((exe_dir.parent_path() / "plugins").string());
  // Test programs live in build/tests; ctest tells them where the build is.
  if (const char* build = std::getenv("NTKLAB_BUILD_DIR"); build != nullptr && *build != '\0')
    candidates.push_back((fs::path(build) / "plugins").string());
  if (const char* path = std::getenv("NTKLAB_PLUGIN_PATH"); path != nullptr) {
    std::string list = path;
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t colon = std::min(list.find(':', start), list.size());
      if (colon > start) candidates.push_back(list.substr(start, colon - start));
      start = colon + 1;
    }
  }
  candidates.insert(candidates.end(), extra.begin(), extra.end());

  std::vector<std::string> directories;
  std::set<std::string> seen;
  for (const auto& candidate : candidates) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(candidate, ec).lexically_normal();
    // "/a/b/" and "/a/b" are one directory.
    if (!canonical.has_filename() && canonical != canonical.root_path())
      canonical = canonical.parent_path();
    const std::string key = ec ? candidate : canonical.string();
    if (seen.insert(key).second) directories.push_back(key);
  }
  return directories;
}

}  // namespace ntk::host

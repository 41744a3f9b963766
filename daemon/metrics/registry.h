// Prometheus metrics and their text exposition (format 0.0.4): counters, gauges and
// histograms with labels, kept in families registered once by name. A part of the daemon
// owns each family it writes (the engine its runs, the platform client its requests, the
// runtime its reloads); the registry only lays them out for a scrape.
//
// Lives on the daemon's one io_context thread, like everything that writes to it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bsched::metrics {

// A series' label values, in the order of its family's label names.
using LabelValues = std::vector<std::string>;

class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels);
  virtual ~Family() = default;
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  const std::string& name() const { return m_name; }
  virtual std::string_view type() const = 0;
  // Appends "# HELP", "# TYPE" and every series; nothing for a family with labels and no series.
  void render(std::string& out) const;

 protected:
  virtual void render_series(std::string& out) const = 0;
  virtual bool empty() const = 0;
  // One sample line: name+suffix{labels[,le="…"]} value
  void sample(std::string& out, std::string_view suffix, const LabelValues& values,
              std::string_view le, double value) const;

 private:
  std::string m_name;
  std::string m_help;
  std::vector<std::string> m_labels;
};

class CounterFamily final : public Family {
 public:
  using Family::Family;
  std::string_view type() const override { return "counter"; }
  void add(const LabelValues& values, double n = 1);  // n < 0 is ignored: counters only rise
  double value(const LabelValues& values) const;     // 0 for a series never added to

 private:
  void render_series(std::string& out) const override;
  bool empty() const override { return m_series.empty(); }
  std::map<LabelValues, double> m_series;
};

class GaugeFamily final : public Family {
 public:
  using Family::Family;
  std::string_view type() const override { return "gauge"; }
  void set(const LabelValues& values, double v);
  void clear() { m_series.clear(); }  // collectors rebuild per-job gauges at each scrape
  double value(const LabelValues& values) const;
  bool has(const LabelValues& values) const { return m_series.count(values) != 0; }

 private:
  void render_series(std::string& out) const override;
  bool empty() const override { return m_series.empty(); }
  std::map<LabelValues, double> m_series;
};

class HistogramFamily final : public Family {
 public:
  // `bounds`: the buckets' upper bounds, increasing; +Inf is implied.
  HistogramFamily(std::string name, std::string help, std::vector<std::string> labels,
                  std::vector<double> bounds);
  std::string_view type() const override { return "histogram"; }
  void observe(const LabelValues& values, double v);

  struct Series {
    std::vector<std::uint64_t> buckets;  // per bound, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  const Series* find(const LabelValues& values) const;
  const std::vector<double>& bounds() const { return m_bounds; }

 private:
  void render_series(std::string& out) const override;
  bool empty() const override { return m_series.empty(); }
  std::vector<double> m_bounds;
  std::map<LabelValues, Series> m_series;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The family called `name`, made on first use; later calls return the same one (a name
  // registered with another type is a programming error: std::logic_error).
  CounterFamily& counter(const std::string& name, const std::string& help,
                         std::vector<std::string> labels = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     std::vector<std::string> labels = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> labels, std::vector<double> bounds);

  // A function run before each render (gauges read from their owner's state at scrape time).
  // It runs until the returned handle is destroyed.
  class Collector {
   public:
    Collector() = default;
    Collector(Registry& r, std::uint64_t id) : m_registry(&r), m_id(id) {}
    Collector(Collector&& o) noexcept;
    Collector& operator=(Collector&& o) noexcept;
    ~Collector();

   private:
    Registry* m_registry = nullptr;
    std::uint64_t m_id = 0;
  };
  [[nodiscard]] Collector add_collector(std::function<void()> collect);

  // The text exposition of every family, in the order they were registered.
  std::string render();
  // Every family's name and type ("counter", …), in the same order.
  std::vector<std::pair<std::string, std::string>> families() const;

 private:
  template <class F>
  F* find(const std::string& name);
  template <class F>
  F& add(std::unique_ptr<F> f);

  std::vector<std::unique_ptr<Family>> m_families;
  std::map<std::uint64_t, std::function<void()>> m_collectors;
  std::uint64_t m_next_collector = 1;
};

// A label value as the text format wants it: backslash, double quote and newline escaped;
// other control characters and bytes that are not UTF-8 become U+FFFD.
std::string escape_label_value(std::string_view v);
// A sample value: shortest round-trip decimal, +Inf / -Inf / NaN spelled as the format does.
std::string format_value(double v);

// Bucket bounds: 1 ms to 1 h (lateness), 1 s to 1 day (run durations), 5 ms to 2 min
// (platform requests).
const std::vector<double>& lateness_buckets();
const std::vector<double>& run_duration_buckets();
const std::vector<double>& request_duration_buckets();

}  // namespace bsched::metrics

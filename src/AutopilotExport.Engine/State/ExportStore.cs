using System;
using System.Collections.Generic;
using System.Linq;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.State
{
    /// <summary>Saved export definitions in exports.json. Names are case-insensitive.</summary>
    public sealed class ExportStore
    {
        public ExportStore(StateHome home)
        {
            Home = home ?? throw new ArgumentNullException(nameof(home));
        }

        public StateHome Home { get; }

        public IReadOnlyList<ExportRecord> GetAll() =>
            Load().Exports.OrderBy(e => e.Name, StateNames.Comparer).Select(e => e.Clone()).ToList();

        public ExportRecord? Find(string name) => FindIn(Load(), name)?.Clone();

        public bool Exists(string name) => FindIn(Load(), name) != null;

        /// <summary>Saved exports that use the connection.</summary>
        public IReadOnlyList<ExportRecord> UsingConnection(string connection) =>
            GetAll().Where(e => StateNames.Comparer.Equals(e.Connection, connection?.Trim())).ToList();

        /// <summary>Saves a definition; throws StateException ExportExists when the name exists and not <paramref name="overwrite"/>.
        /// On overwrite CreatedAt, the last run and the settings only Set-AutopilotExport changes are kept, and with
        /// <paramref name="keepFieldMap"/> a record without a field map keeps the existing one (New-AutopilotExport -Force without -FieldMap).</summary>
        public ExportRecord Save(ExportRecord record, bool overwrite, bool keepFieldMap = false)
        {
            if (record == null) throw new ArgumentNullException(nameof(record));
            var toSave = record.Clone();
            toSave.Name = StateNames.Validate(record.Name, "export");
            toSave.Segments = (toSave.Segments ?? new List<string>()).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim())
                .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            toSave.FieldMap?.Normalize();
            using (StateLock.Acquire(Home))
            {
                var doc = Load();
                var existing = FindIn(doc, toSave.Name);
                if (existing != null)
                {
                    if (!overwrite)
                        throw new StateException(StateErrorIds.ExportExists, $"An export named '{existing.Name}' exists already. Use -Force to replace it.");
                    toSave.CreatedAt = existing.CreatedAt;
                    toSave.KeepSettingsOf(existing);
                    if (keepFieldMap && toSave.FieldMap == null) toSave.FieldMap = existing.Clone().FieldMap;
                    toSave.LastRunAt ??= existing.LastRunAt;
                    toSave.LastRunStatus ??= existing.LastRunStatus;
                    doc.Exports.Remove(existing);
                }
                doc.Exports.Add(toSave);
                Store(doc);
            }
            return toSave.Clone();
        }

        /// <summary>Replaces the field map (null: automatic matching); returns the updated record, or null when the export does not exist.</summary>
        public ExportRecord? SetFieldMap(string name, FieldMap? map, DateTimeOffset now) =>
            Change(name, e =>
            {
                e.FieldMap = map == null ? null : FieldMapRecord.FromFieldMap(map);
                e.ModifiedAt = now;
            });

        /// <summary>
        /// Changes a saved export in place (Set-AutopilotExport): everything the change does not touch, the field map
        /// above all, is kept. Returns the updated record, or null when the export does not exist. A change that leaves
        /// settings the module could not have saved (no segment at all, a value out of range) throws ArgumentException.
        /// </summary>
        public ExportRecord? Update(string name, Action<ExportRecord> change, DateTimeOffset now)
        {
            if (change == null) throw new ArgumentNullException(nameof(change));
            return Change(name, e =>
            {
                change(e);
                e.Segments = (e.Segments ?? new List<string>()).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim())
                    .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                if (e.SyncMode != null) e.SyncMode = ExportSettings.NormalizeSyncMode(e.SyncMode) ?? e.SyncMode;
                if (e.Segments.Count == 0 && string.IsNullOrWhiteSpace(e.SegmentProperty))
                    throw new ArgumentException($"Export '{e.Name}' would have no segment: name at least one segment, or keep its segment property.");
                var problem = ExportSettings.Problem(e);
                if (problem != null) throw new ArgumentException($"Export '{e.Name}': {problem}.");
                e.ModifiedAt = now;
            });
        }

        /// <summary>Records the outcome of a run; returns null when the export does not exist (any more).</summary>
        public ExportRecord? RecordRun(string name, DateTimeOffset at, string status) =>
            Change(name, e =>
            {
                e.LastRunAt = at;
                e.LastRunStatus = status;
            });

        public bool Remove(string name)
        {
            using (StateLock.Acquire(Home))
            {
                var doc = Load();
                var existing = FindIn(doc, name);
                if (existing == null) return false;
                doc.Exports.Remove(existing);
                Store(doc);
                return true;
            }
        }

        private ExportRecord? Change(string name, Action<ExportRecord> change)
        {
            using (StateLock.Acquire(Home))
            {
                var doc = Load();
                var existing = FindIn(doc, name);
                if (existing == null) return null;
                var originalName = existing.Name;
                change(existing);
                existing.Name = originalName;
                Store(doc);
                return existing.Clone();
            }
        }

        private static ExportRecord? FindIn(ExportsDocument doc, string name)
        {
            var n = name?.Trim() ?? "";
            return doc.Exports.FirstOrDefault(e => StateNames.Comparer.Equals(e.Name, n));
        }

        private ExportsDocument Load()
        {
            var doc = JsonStateFile.Read(Home, Home.ExportsFile, StateJsonContext.Default.ExportsDocument, () => new ExportsDocument(), d => d.Version);
            doc.Exports = (doc.Exports ?? new List<ExportRecord>()).Where(e => e != null && !string.IsNullOrWhiteSpace(e.Name)).ToList();
            foreach (var e in doc.Exports)
            {
                e.Segments = (e.Segments ?? new List<string>()).Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
                e.FieldMap?.Normalize();
                CheckFieldMap(e);
                var problem = ExportSettings.Problem(e);
                if (problem != null) throw JsonStateFile.Corrupt(Home.ExportsFile, $"export '{e.Name}' has {problem}", null);
            }
            return doc;
        }

        /// <summary>A field map edited on disk must still be one the module could have saved: else the file is corrupt, named with the entry.</summary>
        private void CheckFieldMap(ExportRecord e)
        {
            var map = e.FieldMap;
            if (map == null) return;
            string? why = null;
            foreach (var kv in map.Standard)
                if (string.IsNullOrWhiteSpace(kv.Value)) { why = $"standard field '{kv.Key}' names no property"; break; }
            if (why == null)
            {
                foreach (var kv in map.Custom)
                    if (kv.Value == null || string.IsNullOrWhiteSpace(kv.Value.Property)) { why = $"custom field '{kv.Key}' names no property"; break; }
            }
            if (why == null)
            {
                try
                {
                    map.ToFieldMap();
                }
                catch (ArgumentException ex)
                {
                    why = ex.Message.TrimEnd('.');
                }
            }
            if (why != null) throw JsonStateFile.Corrupt(Home.ExportsFile, $"the field map of export '{e.Name}' is not valid ({why})", null);
        }

        private void Store(ExportsDocument doc)
        {
            doc.Version = JsonStateFile.SupportedVersion;
            doc.Exports = doc.Exports.OrderBy(e => e.Name, StateNames.Comparer).ToList();
            JsonStateFile.Write(Home, Home.ExportsFile, doc, StateJsonContext.Default.ExportsDocument);
        }
    }
}

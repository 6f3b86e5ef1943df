using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using AutopilotExport.Engine.Mapping;
using System.Runtime.CompilerServices;

namespace AutopilotExport.Commands
{
    /// <summary>Adapts pipeline input to the engine's <see cref="IRecordReader"/>. Used on the pipeline thread only.</summary>
    internal static class RecordReaders
    {
        /// <summary>Null for a $null row (the engine reports it as NullRow).</summary>
        [MethodImpl(HotPath.Optimize)]
        public static IRecordReader? For(object? input)
        {
            if (input == null) return null;
            if (input is PSObject pso)
            {
                var baseObject = pso.BaseObject;
                if (baseObject == null) return null;
                if (baseObject is IDictionary dict) return new DictionaryRecordReader(dict, pso);
                return new PSObjectRecordReader(pso);
            }
            if (input is IDictionary d) return new DictionaryRecordReader(d, null);
            return new PSObjectRecordReader(PSObject.AsPSObject(input));
        }

        /// <summary>A property value as a plain .NET object: PSObject wrappers removed, AutomationNull as null.</summary>
        internal static object? Unwrap(object? value)
        {
            // The engine never sees a PowerShell type; a nested [pscustomobject] arrives as its (non-scalar) base object.
            return value is PSObject p ? p.BaseObject : value;
        }
    }

    /// <summary>A PSObject row: CSV rows, AD users, SQL DataRows, any .NET object. Case-insensitive, as PowerShell is.</summary>
    internal sealed class PSObjectRecordReader : IRecordReader
    {
        // Members PowerShell adds that are not the row's data: remoting/job decorations and the DataRow adapter's own members.
        private static readonly HashSet<string> Noise = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "PSComputerName", "PSShowComputerName", "RunspaceId", "PSSourceJobInstanceId",
            // ... and what a provider adds to the items it lists (Get-ChildItem).
            "PSPath", "PSParentPath", "PSChildName", "PSDrive", "PSProvider", "PSIsContainer",
        };
        private static readonly HashSet<string> DataRowNoise = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "RowError", "RowState", "Table", "ItemArray", "HasErrors",
        };

        private readonly PSObject _row;

        public PSObjectRecordReader(PSObject row) { _row = row ?? throw new ArgumentNullException(nameof(row)); }

        [MethodImpl(HotPath.Optimize)]
        public bool TryGetValue(string property, out object? value)
        {
            value = null;
            if (string.IsNullOrEmpty(property)) return false;
            PSPropertyInfo? info;
            try
            {
                info = _row.Properties[property];
            }
            catch (ExtendedTypeSystemException)
            {
                return false;
            }
            if (info == null) return false;
            try
            {
                value = RecordReaders.Unwrap(info.Value);
            }
            catch (Exception ex) when (ex is GetValueException || ex is ExtendedTypeSystemException || ex is InvalidOperationException)
            {
                // A getter that throws (e.g. an adapter property that is not loaded): the row has the property, without a value.
                value = null;
            }
            return true;
        }

        public IEnumerable<string> PropertyNames
        {
            get
            {
                // A plain text row has no data properties: its Length is not one (the input-shape warning says "no properties").
                if (_row.BaseObject is string) yield break;
                bool dataRow = _row.BaseObject is System.Data.DataRow;
                // The row's own data first (note and .NET properties), then what type extensions add (script, code
                // and alias properties such as a file's Mode or UnixStat): the input-shape warning shows the first few.
                foreach (var ownData in new[] { true, false })
                {
                    foreach (var p in _row.Properties)
                    {
                        if (Noise.Contains(p.Name)) continue;
                        if (dataRow && DataRowNoise.Contains(p.Name)) continue;
                        if ((p is PSNoteProperty || p is PSProperty) == ownData) yield return p.Name;
                    }
                }
            }
        }
    }

    /// <summary>
    /// A hashtable or other IDictionary row. Keys are matched case-insensitively. Members added to the row with
    /// Add-Member (note, script and alias properties of its PSObject) are read too, after the keys: the
    /// dictionary's own adapted members (Count, Keys, IsReadOnly...) are not row data.
    /// </summary>
    internal sealed class DictionaryRecordReader : IRecordReader
    {
        private readonly IDictionary _row;
        private PSObject? _wrapper;
        private Dictionary<string, object>? _folded;

        /// <param name="wrapper">The PSObject the row came in; null: made when first needed (members added to a
        /// bare hashtable are kept by PowerShell for the object itself), so the usual row costs no wrapper.</param>
        public DictionaryRecordReader(IDictionary row, PSObject? wrapper)
        {
            _row = row ?? throw new ArgumentNullException(nameof(row));
            _wrapper = wrapper;
        }

        private PSObject Wrapper => _wrapper ??= PSObject.AsPSObject(_row);

        [MethodImpl(HotPath.Optimize)]
        public bool TryGetValue(string property, out object? value)
        {
            if (TryGetKey(property, out value)) return true;
            return TryGetAddedMember(property, out value);
        }

        private bool TryGetAddedMember(string property, out object? value)
        {
            value = null;
            if (string.IsNullOrEmpty(property)) return false;
            PSPropertyInfo? info;
            try { info = Wrapper.Properties[property]; }
            catch (ExtendedTypeSystemException) { return false; }
            if (!IsAdded(info)) return false;
            try { value = RecordReaders.Unwrap(info!.Value); }
            catch (Exception ex) when (ex is GetValueException || ex is ExtendedTypeSystemException || ex is InvalidOperationException) { value = null; }
            return true;
        }

        private static bool IsAdded(PSPropertyInfo? info) =>
            info != null && (info.MemberType == PSMemberTypes.NoteProperty || info.MemberType == PSMemberTypes.ScriptProperty
                || info.MemberType == PSMemberTypes.AliasProperty || info.MemberType == PSMemberTypes.CodeProperty);

        [MethodImpl(HotPath.Optimize)]
        private bool TryGetKey(string property, out object? value)
        {
            value = null;
            if (property == null) return false;
            try
            {
                // One lookup in the usual case (the key is there with a value); Contains only to tell a missing
                // key from one that holds $null.
                var found = _row[property];
                if (found != null || _row.Contains(property))
                {
                    value = RecordReaders.Unwrap(found);
                    return true;
                }
            }
            catch (ArgumentException) { /* a dictionary with non-string keys */ }
            catch (InvalidCastException) { }
            catch (KeyNotFoundException) { /* a dictionary whose indexer throws for a missing key */ }

            if (_folded == null)
            {
                _folded = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry e in _row)
                {
                    var key = KeyText(e.Key);
                    if (key != null && !_folded.ContainsKey(key)) _folded[key] = e.Key;
                }
            }
            if (!_folded.TryGetValue(property, out var originalKey)) return false;
            value = RecordReaders.Unwrap(_row[originalKey]);
            return true;
        }

        public IEnumerable<string> PropertyNames
        {
            get
            {
                foreach (DictionaryEntry e in _row)
                {
                    var key = KeyText(e.Key);
                    if (key != null) yield return key;
                }
                foreach (var p in Wrapper.Properties)
                    if (IsAdded(p)) yield return p.Name;
            }
        }

        private static string? KeyText(object? key)
        {
            if (key is PSObject p) key = p.BaseObject;
            return key == null ? null : Convert.ToString(key, CultureInfo.InvariantCulture);
        }
    }
}

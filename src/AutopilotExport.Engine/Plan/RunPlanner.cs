using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Engine.Plan
{
    /// <summary>What the caller asked for: a saved export or ad hoc settings, with any settings given again for this run.</summary>
    public sealed class RunRequest
    {
        /// <summary>The saved export to run; null for an ad hoc run.</summary>
        public ExportRecord? SavedExport { get; set; }
        public ConnectionRecord Connection { get; set; } = new ConnectionRecord();
        /// <summary>Null: the saved export's segments (none for an ad hoc run).</summary>
        public IReadOnlyList<string>? Segments { get; set; }
        public string? SegmentProperty { get; set; }
        /// <summary>The hashtable form of a field map; null: the saved map, or automatic matching.</summary>
        public IDictionary? FieldMap { get; set; }
        public int? MaxProfiles { get; set; }
        public int Concurrency { get; set; } = 4;
        /// <summary>Null: the connection's pace.</summary>
        public double? RequestsPerSecond { get; set; }
    }

    /// <summary>The run cannot be planned; <see cref="ErrorId"/> is the caller's error id.</summary>
    public sealed class PlanException : Exception
    {
        public PlanException(string errorId, string message, Exception? inner = null) : base(message, inner) { ErrorId = errorId; }
        public string ErrorId { get; }
    }

    public static class PlanErrorIds
    {
        public const string SegmentRequired = "SegmentRequired";
        public const string InvalidFieldMap = "InvalidFieldMap";
        /// <summary>A segment (list) name with a control character, a lone surrogate, a no-break or other
        /// non-plain space, or an invisible format character: refused before the first request.</summary>
        public const string InvalidSegmentName = ErrorIds.InvalidSegmentName;
    }

    /// <summary>
    /// Turns a request into the run's options: saved settings first, settings given again win, defaults last;
    /// one validated field map. Pure: no state is read here (the caller finds the records), nothing is sent.
    /// </summary>
    public static class RunPlanner
    {
        public const int DefaultMaxProfiles = 100_000;

        public static ExportRunOptions Plan(RunRequest request)
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            var saved = request.SavedExport;
            var segments = request.Segments != null ? CleanSegments(request.Segments)
                : saved != null ? CleanSegments(saved.Segments ?? new List<string>()) : Array.Empty<string>();
            foreach (var segment in segments)
            {
                var problem = SegmentNameProblem(segment);
                if (problem != null) throw new PlanException(PlanErrorIds.InvalidSegmentName, problem);
            }
            var segmentProperty = Clean(request.SegmentProperty) ?? Clean(saved?.SegmentProperty);
            if (segments.Length == 0 && segmentProperty == null)
                throw new PlanException(PlanErrorIds.SegmentRequired,
                    "Name at least one segment (the Autopilot list the profiles join), or a segment property that holds each row's segment.");

            FieldMap? map;
            try
            {
                // A stored map is checked as a given one is: exports.json may be older than a rule, or edited.
                map = request.FieldMap != null ? FieldMap.FromDictionary(request.FieldMap).Validate() : saved?.FieldMap?.ToFieldMap().Validate();
            }
            catch (ArgumentException ex)
            {
                throw new PlanException(PlanErrorIds.InvalidFieldMap, ex.Message, ex);
            }

            return new ExportRunOptions
            {
                ExportName = saved?.Name ?? "(ad hoc)",
                ConnectionName = request.Connection.Name,
                Segments = segments,
                SegmentProperty = segmentProperty,
                FieldMap = map,
                MaxProfiles = request.MaxProfiles ?? saved?.MaxProfiles ?? DefaultMaxProfiles,
                Concurrency = request.Concurrency,
                RequestsPerSecond = request.RequestsPerSecond ?? request.Connection.RequestsPerSecond,
            };
        }

        /// <summary>Trimmed, blanks left out, each name once (ignoring case, as Autopilot's list names).</summary>
        public static string[] CleanSegments(IEnumerable<string> segments) =>
            segments.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

        /// <summary>Why <paramref name="segment"/> cannot be a list name (a sentence naming it), or null. The one
        /// rule for -Segment, saved segments and each row's segment value.</summary>
        public static string? SegmentNameProblem(string segment)
        {
            var problem = UnicodeText.NameProblem(segment);
            return problem == null ? null
                : $"Segment '{FieldMap.Printable(segment)}' cannot be a list name: {problem}. Use letters, digits, punctuation and plain spaces.";
        }

        private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value!.Trim();
    }
}

#if NET
using System;
using System.Collections.Concurrent;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace AutopilotExport.Loader
{
    /// <summary>
    /// The module's private load context on PowerShell 7. Whatever the module's assemblies ask for is taken from the
    /// module's bin folder, so a different version another module loaded into the default context is never seen, and
    /// the default context never sees ours. Two kinds of requests go to the default context instead: assemblies the
    /// folder does not hold (System.Management.Automation and the rest of the host), and assemblies the .NET runtime
    /// itself ships in the same or a newer version (System.Text.Json, System.Memory, ...): the runtime's copy is what
    /// every context gets for those anyway, and it is the one built for this runtime, not the netstandard2.0 fallback.
    /// </summary>
    internal sealed class ModuleLoadContext : AssemblyLoadContext
    {
        private static readonly string RuntimeFolder = RuntimeEnvironment.GetRuntimeDirectory();
        private static readonly ConcurrentDictionary<string, Version?> RuntimeVersions = new(StringComparer.OrdinalIgnoreCase);

        private readonly string _folder;

        public ModuleLoadContext(string folder)
            : base("AutopilotExport (" + folder + ")", isCollectible: false)
        {
            _folder = folder;
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (string.IsNullOrEmpty(assemblyName.Name)) return null;
            var path = Path.Combine(_folder, assemblyName.Name + ".dll");
            if (!File.Exists(path)) return null;
            if (RuntimeShips(assemblyName)) return null;
            return LoadFromAssemblyPath(path);
        }

        private static bool RuntimeShips(AssemblyName requested)
        {
            var shipped = RuntimeVersions.GetOrAdd(requested.Name!, name =>
            {
                var candidate = Path.Combine(RuntimeFolder, name + ".dll");
                if (!File.Exists(candidate)) return null;
                try { return AssemblyName.GetAssemblyName(candidate).Version; }
                catch (Exception) { return null; } // not a managed assembly, or unreadable: do not rely on it
            });
            return shipped != null && (requested.Version == null || shipped >= requested.Version);
        }
    }
}
#endif

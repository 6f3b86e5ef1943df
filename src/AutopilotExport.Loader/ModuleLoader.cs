using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;

namespace AutopilotExport.Loader
{
    /// <summary>
    /// Loads the module's cmdlet assembly so that its dependencies (System.Text.Json, Polly, Microsoft.Extensions.*)
    /// cannot clash with copies another module put into the session, before or after this one.
    /// </summary>
    public static class ModuleLoader
    {
        /// <summary>The file name of the cmdlet assembly inside the module's bin folder.</summary>
        public const string ModuleAssemblyName = "AutopilotExport";

        private static readonly object Gate = new object();

        // One isolation per bin folder: two copies of the module (say, an installed one and a development build)
        // imported into one session each keep their own assemblies.
        private static readonly Dictionary<string, Assembly> Loaded = new Dictionary<string, Assembly>(StringComparer.Ordinal);

        /// <summary>
        /// Returns the cmdlet assembly from <paramref name="binFolder"/>, loading it (once per folder) in isolation:
        /// a private AssemblyLoadContext on PowerShell 7, a resolve handler scoped to the folder on Windows PowerShell.
        /// </summary>
        public static Assembly Load(string binFolder)
        {
            if (string.IsNullOrEmpty(binFolder)) throw new ArgumentException("The module's bin folder is required.", nameof(binFolder));
            var folder = Path.GetFullPath(binFolder);
            var path = Path.Combine(folder, ModuleAssemblyName + ".dll");
            if (!File.Exists(path)) throw new FileNotFoundException($"The module assembly was not found at {path}. Build the module first.", path);

            lock (Gate)
            {
                if (Loaded.TryGetValue(folder, out var assembly)) return assembly;
#if NET
                assembly = new ModuleLoadContext(folder).LoadFromAssemblyPath(path);
#else
                assembly = FolderResolver.Register(folder).LoadModule(path);
#endif
                Loaded[folder] = assembly;
                return assembly;
            }
        }
    }
}

#if !NET
using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;

namespace AutopilotExport.Loader
{
    /// <summary>
    /// Windows PowerShell 5.1 has one load context per process, so full isolation is not possible there. What can be
    /// done: the module's assemblies load from its own folder (LoadFrom, so they never replace another module's copy
    /// in the load context), and when .NET Framework cannot bind one of our references (a version that differs from
    /// the file, which binding redirects would fix in an application but a module has no config file), this handler
    /// answers with the file in the module's folder. It answers only for requests made by the module's own assemblies,
    /// or, when the runtime does not say who asked, only when our file's version satisfies the request; it never
    /// answers for names the folder does not hold. See docs/DEPENDENCIES.md for the limits.
    /// </summary>
    internal sealed class FolderResolver
    {
        private readonly string _folder;
        private readonly object _gate = new object();
        private readonly Dictionary<string, Assembly> _loaded = new Dictionary<string, Assembly>(StringComparer.OrdinalIgnoreCase);

        private FolderResolver(string folder)
        {
            _folder = folder;
        }

        public static FolderResolver Register(string folder)
        {
            var resolver = new FolderResolver(folder);
            AppDomain.CurrentDomain.AssemblyResolve += resolver.Resolve;
            return resolver;
        }

        public Assembly LoadModule(string path) => LoadOwn(Path.GetFileNameWithoutExtension(path), path);

        private Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            AssemblyName requested;
            try { requested = new AssemblyName(args.Name); }
            catch (Exception) { return null; }
            if (string.IsNullOrEmpty(requested.Name)) return null;

            var path = Path.Combine(_folder, requested.Name + ".dll");
            if (!File.Exists(path)) return null;

            if (args.RequestingAssembly != null)
            {
                if (!IsOurs(args.RequestingAssembly)) return null;
            }
            else
            {
                Version? ours;
                try { ours = AssemblyName.GetAssemblyName(path).Version; }
                catch (Exception) { return null; }
                if (requested.Version != null && (ours == null || ours < requested.Version)) return null;
            }
            return LoadOwn(requested.Name, path);
        }

        private bool IsOurs(Assembly assembly)
        {
            string location;
            try { location = assembly.Location; }
            catch (NotSupportedException) { return false; } // dynamic assemblies have no location
            if (string.IsNullOrEmpty(location)) return false;
            var folder = Path.GetDirectoryName(Path.GetFullPath(location));
            return string.Equals(folder, _folder, StringComparison.OrdinalIgnoreCase);
        }

        private Assembly LoadOwn(string name, string path)
        {
            lock (_gate)
            {
                if (!_loaded.TryGetValue(name, out var assembly))
                {
                    assembly = Assembly.LoadFrom(path);
                    _loaded[name] = assembly;
                }
                return assembly;
            }
        }
    }
}
#endif

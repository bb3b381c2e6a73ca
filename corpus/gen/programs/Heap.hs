-- | Heap-profile workload: a residency curve that rises and falls, with
-- several kinds of heap object (Map nodes, lists, Strings, unboxed arrays,
-- pinned ByteStrings, MVars/IORefs, a CAF), split over several top-level
-- functions so that -fprof-auto gives distinct cost centres, and with data
-- that is created-then-dropped, retained-but-never-used and used-late so that
-- retainer (-hr) and biographical (-hb) profiles have something to show.
--
-- Built twice: without profiling for +RTS -hT, and with -prof -fprof-auto for
-- -p/-hc/-hy/-hd/-hm/-hr/-hb.  With SIZE=1 it runs ~0.2-0.5 s, enough for a
-- few dozen heap samples at -i0.01 while keeping the eventlog small.
--
-- Usage: heap [SIZE]
module Main (main) where

import Control.Concurrent.MVar
import Control.Exception (evaluate)
import Control.Monad (forM, forM_)
import Data.Array.Unboxed (UArray, listArray, (!))
import qualified Data.ByteString.Char8 as B
import Data.IORef
import Data.List (foldl')
import qualified Data.Map.Strict as M
import Debug.Trace (traceMarkerIO)
import System.Environment (getArgs)
import System.Exit (exitFailure)
import System.IO (hPutStrLn, stderr)
import System.Mem (performMajorGC)
import Text.Read (readMaybe)

main :: IO ()
main = do
  args <- getArgs
  size <- case args of
    []  -> pure 1
    [s] | Just n <- readMaybe s, n >= 1 -> pure (n :: Int)
    _   -> do hPutStrLn stderr "usage: heap [SIZE>=1]"; exitFailure
  traceMarkerIO "heap start"

  -- Rising phase: a Map of Strings that grows in steps and is kept alive
  -- until the end (the "lag" then "use" in a biographical profile).
  ref <- newIORef M.empty
  forM_ [1 .. 8 * size] $ \step -> do
    m <- readIORef ref
    let m' = growTable step m
    _ <- evaluate (M.size m')
    writeIORef ref m'
    _ <- evaluate (churn step)          -- short-lived garbage
    pure ()

  -- Data that is retained but never used again ("void"/"drag").
  let arrays = buildArrays (4 * size)
  _ <- evaluate (sum (map (! 0) arrays))  -- force every array
  hoard <- newMVar arrays
  blobs <- forM [1 .. 40 * size] $ \i -> evaluate (makeBlob i)
  traceMarkerIO "heap peak"
  performMajorGC

  -- Falling phase: drop the table in halves.
  m <- readIORef ref
  let (lo, _hi) = M.split (M.size m `div` 2) m
  writeIORef ref lo
  performMajorGC
  _ <- evaluate (foldl' (+) 0 (map B.length blobs))
  final <- readIORef ref
  putStrLn ("heap: " ++ show (M.size final, M.foldl' (\a s -> a + length s) 0 final))
  _ <- takeMVar hoard                   -- last touch keeps it alive till here
  putStrLn ("table CAF: " ++ show (sum (M.elems lookupTable)))
  traceMarkerIO "heap end"

-- | Add 2000 string entries per step.
growTable :: Int -> M.Map Int String -> M.Map Int String
growTable step m = foldl' ins m [base .. base + 1999]
  where
    base = step * 2000
    ins acc k = M.insert k (render k) acc

render :: Int -> String
render k = "entry-" ++ show k ++ replicate (k `mod` 17) '*'

-- | Allocation that dies young: drives minor GCs.
churn :: Int -> Int
churn step = length (filter even (map (* step) [1 .. 30000]))

buildArrays :: Int -> [UArray Int Int]
buildArrays n = [listArray (0, 9999) [i .. i + 9999] | i <- [1 .. n]]

-- | Pinned, off-the-Haskell-heap-layout data (ARR_WORDS in -hT).
makeBlob :: Int -> B.ByteString
makeBlob i = B.pack (concat (replicate 50 (show i ++ ",")))

-- | A CAF (shows up as a CAF cost centre in profiled builds).
lookupTable :: M.Map Int Int
lookupTable = M.fromList [(i, i * i) | i <- [1 .. 500]]

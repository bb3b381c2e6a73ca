-- A program for the report tests (tests/report/report_test.py, case ghc):
-- labelled worker threads on two capabilities doing labelled phases marked
-- with ghc-events-analyze's user messages ("START [n ]label" / "STOP [n ]label"),
-- user markers, and a growing heap for a -hT heap profile.
import Control.Concurrent
import Control.Monad
import Data.IORef
import Debug.Trace (traceEventIO, traceMarkerIO)
import GHC.Conc (labelThread, myThreadId)
import qualified Data.Map.Strict as M

work :: Int -> Int
work n = sum [ x * x `mod` 7 | x <- [1 .. n] ]

phase :: String -> IO a -> IO a
phase label act = do
  traceEventIO ("START " ++ label)
  r <- act
  traceEventIO ("STOP " ++ label)
  return r

main :: IO ()
main = do
  ref <- newIORef M.empty
  done <- newEmptyMVar
  forM_ [1 .. 4 :: Int] $ \w -> forkIO $ do
    t <- myThreadId
    labelThread t ("worker " ++ show w)
    forM_ [1 .. 30 :: Int] $ \i -> do
      let req = show (w * 100 + i)
      phase (req ++ " request") $ do
        s <- phase "compute" (return $! work (20000 + 1000 * w))
        phase "store" $ atomicModifyIORef' ref (\m -> (M.insert (w, i) [s .. s + 200] m, ()))
    putMVar done ()
  traceMarkerIO "workers started"
  replicateM_ 4 (takeMVar done)
  m <- readIORef ref
  traceMarkerIO "workers done"
  print (M.size m, sum (map length (M.elems m)))
